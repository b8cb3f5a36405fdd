using System.Collections.Frozen;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using Bamboo.Actors.Serialization.Legacy;
using Google.Protobuf;

namespace Bamboo.Actors.Serialization;

/// <summary>
/// Serializes every Bamboo.Actors message that crosses nodes or is persisted: the commands of
/// <see cref="RunnerCommands"/>, <see cref="ExecutorSignals"/>, the replies of <see cref="RunnerReplies"/>, every
/// <see cref="AgentEvent"/> (with its stamps), <see cref="SessionRunner.Stop"/>, and the durable facts and snapshots
/// of a session (<see cref="RunnerFact{TRef}"/>, <see cref="DurableRunnerState{TRef}"/>). Bound in
/// <c>hocon/serialization.conf</c> (<see cref="Configuration.BambooConfig.Serialization"/>).
/// </summary>
/// <remarks>
/// <para>The format is Protocol Buffers: the schemas are <c>Serialization/Proto/*.proto</c> (their evolution rules and
/// encodings in <c>types.proto</c>), compiled at build time. This class only maps each protocol type to its schema
/// message and back (<c>BambooSerializer.Mapping.cs</c>), under a short manifest of its own that must never change:
/// journals keep it with every fact.</para>
/// <para>Payloads of the first format (JSON, three-letter manifests) are still read (<see cref="LegacyJsonReader"/>),
/// so journals written by earlier versions recover; nothing writes them.</para>
/// </remarks>
public sealed partial class BambooSerializer : SerializerWithStringManifest
{
    /// <summary>
    /// The serializer's identifier (the user range starts above Akka's reserved 0-100). Every node of a cluster must
    /// agree on it, and journals store it with every fact: it must never change.
    /// </summary>
    public const int SerializerId = 4711;

    private static readonly Codec[] All = CreateCodecs();

    private static readonly FrozenDictionary<Type, Codec> ByType = All
        .SelectMany(codec => codec.Types.Select(type => (type, codec)))
        .ToFrozenDictionary(entry => entry.type, entry => entry.codec);

    private static readonly FrozenDictionary<string, Codec> ByManifest = All.ToFrozenDictionary(c => c.Manifest, StringComparer.Ordinal);

    /// <summary>Created by Akka's serialization extension from the <c>akka.actor.serializers</c> configuration.</summary>
    public BambooSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    /// <inheritdoc />
    public override int Identifier => SerializerId;

    /// <summary>Every manifest this serializer writes (it also reads those of <see cref="LegacyJsonReader"/>).</summary>
    public static IReadOnlyCollection<string> Manifests => ByManifest.Keys;

    /// <summary>Every type this serializer writes and reads.</summary>
    public static IReadOnlyCollection<Type> SupportedTypes => ByType.Keys;

    /// <inheritdoc />
    /// <exception cref="SerializationException"><paramref name="o"/> is not a Bamboo.Actors message.</exception>
    public override string Manifest(object o) => CodecFor(o).Manifest;

    /// <inheritdoc />
    /// <exception cref="SerializationException"><paramref name="obj"/> is not a Bamboo.Actors message, or one of its
    /// non-nullable fields is null.</exception>
    public override byte[] ToBinary(object obj)
    {
        var codec = CodecFor(obj);
        try
        {
            // Span based: no stream object per message, as ToByteArray would create.
            var message = codec.ToProto(obj);
            var bytes = new byte[message.CalculateSize()];
            message.WriteTo(bytes.AsSpan());
            return bytes;
        }
        catch (ArgumentNullException e)
        {
            throw new SerializationException($"{nameof(BambooSerializer)} cannot serialize {obj}: a field that must not be null is null.", e);
        }
    }

    /// <inheritdoc />
    /// <exception cref="SerializationException">The manifest is unknown or the payload is not a valid message of it.</exception>
    public override object FromBinary(byte[] bytes, string manifest)
    {
        try
        {
            if (manifest is not null && ByManifest.TryGetValue(manifest, out var codec)) return codec.FromBinary(bytes, this);
            if (manifest is not null && LegacyJsonReader.Reads(manifest)) return LegacyJsonReader.Read(manifest, bytes, system);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or System.Text.Json.JsonException or ArgumentException or InvalidOperationException)
        {
            throw new SerializationException(
                $"{nameof(BambooSerializer)} could not read a '{manifest}' payload of {bytes.Length} bytes: {e.Message}", e);
        }
        throw new SerializationException(
            $"{nameof(BambooSerializer)} (id {SerializerId}) does not know the manifest '{manifest}'. The message was " +
            "probably written by a node running a newer Bamboo.Actors version.");
    }

    private static Codec CodecFor(object o) =>
        o is not null && ByType.TryGetValue(o.GetType(), out var codec)
            ? codec
            : throw new SerializationException(
                $"{nameof(BambooSerializer)} cannot serialize {o?.GetType().FullName ?? "null"}: it handles Bamboo.Actors " +
                "protocol messages, events and facts only. Check the serialization-bindings.");

    /// <summary>How the types of one manifest are written as, and read from, their schema message.</summary>
    private sealed record Codec(string Manifest, Type[] Types, Func<object, IMessage> ToProto, Func<byte[], BambooSerializer, object> FromBinary);

    /// <summary>The codec of the type <typeparamref name="T"/>, written as the schema message <typeparamref name="TProto"/>.</summary>
    private static Codec Of<T, TProto>(string manifest, MessageParser<TProto> parser, Func<T, TProto> toProto,
        Func<TProto, BambooSerializer, object> fromProto) where TProto : IMessage<TProto> =>
        new(manifest, [typeof(T)], message => toProto((T)message), (bytes, serializer) => fromProto(parser.ParseFrom(bytes.AsSpan()), serializer));

    /// <summary>An instant from its UTC ticks (see <c>types.proto</c>).</summary>
    private static DateTimeOffset Instant(long utcTicks) => new(utcTicks, TimeSpan.Zero);

    private static DateTimeOffset? Instant(bool has, long utcTicks) => has ? Instant(utcTicks) : null;

    private static TimeSpan? Duration(bool has, long ticks) => has ? TimeSpan.FromTicks(ticks) : null;

    private static string? Text(bool has, string text) => has ? text : null;

    private static string Path(IActorRef? actor) => actor is null ? "" : Akka.Serialization.Serialization.SerializedActorPath(actor);

    private IActorRef? Resolve(string path) => path.Length == 0 ? null : system.Provider.ResolveActorRef(path);
}
