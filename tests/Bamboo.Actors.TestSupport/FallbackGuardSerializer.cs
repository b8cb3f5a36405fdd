using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using Bamboo.Actors.Serialization;

namespace Bamboo.Actors.TestSupport;

/// <summary>
/// Takes the place of Akka's catch-all JSON serializer (the <c>System.Object</c> binding) in a test system: Akka's own
/// messages still get JSON, but a Bamboo.Actors type that reaches the fallback throws, so the message is dropped
/// with an error log and the scenario fails.
/// </summary>
public sealed class FallbackGuardSerializer(ExtendedActorSystem system) : Serializer(system)
{
    private readonly NewtonSoftJsonSerializer _json = new(system);

    /// <summary>Binds the guard as the fallback, with the library's serialization configuration.</summary>
    public static Config Config { get; } = ConfigurationFactory.ParseString($$"""
        akka.actor.serializers.fallback-guard = "{{typeof(FallbackGuardSerializer).AssemblyQualifiedName}}"
        akka.actor.serialization-bindings { "System.Object" = fallback-guard }
        """).WithFallback(Bamboo.Actors.Configuration.BambooConfig.Serialization);

    /// <inheritdoc />
    public override int Identifier => 4799;

    /// <inheritdoc />
    public override bool IncludeManifest => _json.IncludeManifest;

    /// <inheritdoc />
    public override byte[] ToBinary(object obj) =>
        obj.GetType().Assembly == typeof(BambooSerializer).Assembly
            ? throw new SerializationException($"{obj.GetType().FullName} fell back to the default serializer")
            : _json.ToBinary(obj);

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, Type type) => _json.FromBinary(bytes, type);
}
