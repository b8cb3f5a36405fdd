using System.Buffers;
using System.Collections.Frozen;
using System.Runtime.Serialization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;
using Bamboo.Actors.Events;

namespace Bamboo.Actors.Serialization;

/// <summary>
/// Serializes every Bamboo.Actors message that crosses nodes: the commands of <see cref="Protocol.RunnerCommands"/>,
/// <see cref="Protocol.ExecutorSignals"/>, the replies of <see cref="Protocol.RunnerReplies"/>, every
/// <see cref="AgentEvent"/> (with its stamped session, run, sequence and timestamp) and
/// <see cref="Runners.SessionRunner.Stop"/>. Bound in <c>hocon/serialization.conf</c>
/// (<see cref="Configuration.BambooConfig.Serialization"/>).
/// </summary>
/// <remarks>
/// <para>Each type has a short, fixed string manifest (<c>RSV</c> for <c>Reserve</c>, ...); the payload is a small
/// UTF-8 JSON object whose property names are one shared vocabulary of short keys. Both are part of the wire format:
/// a manifest or key may be added, never renamed or reused. Readers ignore unknown properties and take defaults for
/// missing ones, so optional fields can be added during a rolling upgrade.</para>
/// <para>The JSON is written and read by hand with <see cref="Utf8JsonWriter"/> and <see cref="Utf8JsonReader"/>
/// rather than by a (source-generated) <see cref="JsonSerializer"/> contract: the protocol types are not contract
/// shaped (actor references must go through the ActorSystem, <see cref="Protocol.RunOutcome"/> has no public
/// constructor, events are polymorphic and carry init-only stamps), so a contract would need a converter for nearly
/// every type anyway. Hand-written code needs no reflection (trimming and AOT safe), keeps the wire names independent
/// of C# member names, and is the fastest option.</para>
/// <para>Actor references are written as <see cref="Akka.Serialization.Serialization.SerializedActorPath"/> and
/// resolved with the system's provider, so a reference to an actor on another node stays usable.</para>
/// </remarks>
public sealed partial class BambooSerializer : SerializerWithStringManifest
{
    /// <summary>
    /// The serializer's identifier (the user range starts above Akka's reserved 0-100). Every node of a cluster must
    /// agree on it: it must never change.
    /// </summary>
    public const int SerializerId = 4711;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Not HTML: only JSON's own escapes are needed, so text in any script stays compact.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    private static readonly Codec[] All = CreateCodecs();
    private static readonly FrozenDictionary<Type, Codec> ByType = All.ToFrozenDictionary(c => c.Type);
    private static readonly FrozenDictionary<string, Codec> ByManifest = All.ToFrozenDictionary(c => c.Manifest, StringComparer.Ordinal);

    // Serializers are called concurrently (one remoting writer per association, serialize-messages on any thread):
    // each thread reuses its own buffer and writer.
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    private const int MaxRetainedBuffer = 64 * 1024;

    /// <summary>Created by Akka's serialization extension from the <c>akka.actor.serializers</c> configuration.</summary>
    public BambooSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    /// <inheritdoc />
    public override int Identifier => SerializerId;

    /// <summary>Every manifest this serializer writes and reads.</summary>
    public static IReadOnlyCollection<string> Manifests => ByManifest.Keys;

    /// <summary>Every type this serializer writes and reads.</summary>
    public static IReadOnlyCollection<Type> SupportedTypes => ByType.Keys;

    /// <inheritdoc />
    /// <exception cref="SerializationException"><paramref name="o"/> is not a Bamboo.Actors message.</exception>
    public override string Manifest(object o) => CodecFor(o).Manifest;

    /// <inheritdoc />
    /// <exception cref="SerializationException"><paramref name="obj"/> is not a Bamboo.Actors message.</exception>
    public override byte[] ToBinary(object obj)
    {
        var codec = CodecFor(obj);
        if (codec.Write is null) return [];

        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(256);
        var writer = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        try
        {
            writer.WriteStartObject();
            codec.Write(writer, obj);
            writer.WriteEndObject();
            writer.Flush();
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            writer.Reset(buffer);
            buffer.ResetWrittenCount();
            if (buffer.Capacity > MaxRetainedBuffer)
            {
                // One huge message must not pin a huge buffer to the thread.
                t_buffer = null;
                t_writer = null;
            }
        }
    }

    /// <inheritdoc />
    /// <exception cref="SerializationException">The manifest is unknown or the payload is not a valid message of it.</exception>
    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (manifest is null || !ByManifest.TryGetValue(manifest, out var codec))
            throw new SerializationException(
                $"{nameof(BambooSerializer)} (id {SerializerId}) does not know the manifest '{manifest}'. The message was " +
                "probably written by a node running a newer Bamboo.Actors version.");
        try
        {
            var fields = codec.Write is null ? default : WireFields.Read(bytes);
            return codec.Build(in fields, system);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new SerializationException(
                $"{nameof(BambooSerializer)} could not read a '{manifest}' ({codec.Type.Name}) payload of {bytes.Length} bytes: {e.Message}", e);
        }
    }

    private static Codec CodecFor(object o) =>
        o is not null && ByType.TryGetValue(o.GetType(), out var codec)
            ? codec
            : throw new SerializationException(
                $"{nameof(BambooSerializer)} cannot serialize {o?.GetType().FullName ?? "null"}: it handles Bamboo.Actors " +
                "protocol messages and events only. Check the serialization-bindings.");

    /// <summary>Builds the event of <paramref name="manifest"/> (nested in a <c>Publish</c>) from its fields.</summary>
    internal static AgentEvent BuildEvent(string? manifest, in WireFields fields) =>
        manifest is not null && ByManifest.TryGetValue(manifest, out var codec) && codec.IsEvent
            ? (AgentEvent)codec.Build(in fields, null!)
            : throw new JsonException($"'{manifest}' is not an event manifest.");

    /// <summary>Writes <paramref name="evt"/> as a nested object: its manifest, stamps and payload.</summary>
    private static void WriteEvent(Utf8JsonWriter writer, string key, AgentEvent evt)
    {
        var codec = CodecFor(evt);
        writer.WriteStartObject(key);
        writer.WriteString(WireKeys.EventManifest, codec.Manifest);
        codec.Write!(writer, evt);
        writer.WriteEndObject();
    }

    private delegate object Builder(in WireFields fields, ExtendedActorSystem system);

    /// <summary>How one message type is written and rebuilt. A null <see cref="Write"/> means an empty payload.</summary>
    private sealed record Codec(Type Type, string Manifest, Action<Utf8JsonWriter, object>? Write, Builder Build, bool IsEvent);
}
