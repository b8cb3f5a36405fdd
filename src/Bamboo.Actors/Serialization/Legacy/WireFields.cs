using System.Text.Json;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;

namespace Bamboo.Actors.Serialization.Legacy;

/// <summary>
/// Every field a payload of the first (JSON) format can carry, read in one pass from a JSON object whose property
/// names are <see cref="WireKeys"/>. Property order does not matter and unknown properties are skipped.
/// </summary>
internal struct WireFields
{
    public string? SessionId;
    public string? RunId;
    public string? CurrentRunId;
    public string? Reason;
    public string? Error;
    public string? Text;
    public string? ToolName;
    public string? LastToolName;
    public string? EventManifest;
    public string? Executor;
    public string? Subscriber;
    public string? Reserver;
    public long Sequence;
    public int Position;
    public int RoundCount;
    public long Used;
    public long Limit;
    public long FromSequence;
    public long ToSequence;
    public int QueueLength;
    public int SubscriberCount;
    public long LastSequence;
    public long? AfterSequence;
    public int Status;
    public int OnConflict;
    public int Phase;
    public int? LastToolPhase;
    public long? DeadlineTicks;
    public bool Acknowledge;
    public bool CancelRequested;
    public DateTimeOffset? Timestamp;
    public DateTimeOffset? StartedAt;
    public DateTimeOffset? CompletedAt;
    public DateTimeOffset? LastEventAt;
    public DateTimeOffset? DeadlineAt;
    public RunOutcome? Outcome;
    public AgentEvent? Event;
    public List<WireFields>? Queue;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 8 };

    /// <summary>Reads the JSON object <paramref name="json"/>.</summary>
    /// <exception cref="JsonException">Not a well-formed object of the expected value kinds.</exception>
    public static WireFields Read(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            throw new JsonException("The payload is not a JSON object.");
        var fields = new WireFields();
        fields.ReadObject(ref reader);
        return fields;
    }

    private void ReadObject(ref Utf8JsonReader reader)
    {
        // Keys are short; a longer (or escaped beyond this buffer) property name is unknown and skipped.
        Span<char> buffer = stackalloc char[16];
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            ReadOnlySpan<char> key = reader.ValueSpan.Length <= buffer.Length ? buffer[..reader.CopyString(buffer)] : default;
            reader.Read();
            if (reader.TokenType == JsonTokenType.Null) continue;
            switch (key)
            {
                case WireKeys.SessionId: SessionId = reader.GetString(); break;
                case WireKeys.RunId: RunId = reader.GetString(); break;
                case WireKeys.CurrentRunId: CurrentRunId = reader.GetString(); break;
                case WireKeys.Reason: Reason = reader.GetString(); break;
                case WireKeys.Error: Error = reader.GetString(); break;
                case WireKeys.Text: Text = reader.GetString(); break;
                case WireKeys.ToolName: ToolName = reader.GetString(); break;
                case WireKeys.LastToolName: LastToolName = reader.GetString(); break;
                case WireKeys.EventManifest: EventManifest = reader.GetString(); break;
                case WireKeys.Executor: Executor = reader.GetString(); break;
                case WireKeys.Subscriber: Subscriber = reader.GetString(); break;
                case WireKeys.Reserver: Reserver = reader.GetString(); break;
                case WireKeys.Sequence: Sequence = reader.GetInt64(); break;
                case WireKeys.Position: Position = reader.GetInt32(); break;
                case WireKeys.RoundCount: RoundCount = reader.GetInt32(); break;
                case WireKeys.Used: Used = reader.GetInt64(); break;
                case WireKeys.Limit: Limit = reader.GetInt64(); break;
                case WireKeys.FromSequence: FromSequence = reader.GetInt64(); break;
                case WireKeys.ToSequence: ToSequence = reader.GetInt64(); break;
                case WireKeys.QueueLength: QueueLength = reader.GetInt32(); break;
                case WireKeys.SubscriberCount: SubscriberCount = reader.GetInt32(); break;
                case WireKeys.LastSequence: LastSequence = reader.GetInt64(); break;
                case WireKeys.AfterSequence: AfterSequence = reader.GetInt64(); break;
                case WireKeys.Status: Status = reader.GetInt32(); break;
                case WireKeys.OnConflict: OnConflict = reader.GetInt32(); break;
                case WireKeys.Phase: Phase = reader.GetInt32(); break;
                case WireKeys.LastToolPhase: LastToolPhase = reader.GetInt32(); break;
                case WireKeys.Deadline: DeadlineTicks = reader.GetInt64(); break;
                case WireKeys.Acknowledge: Acknowledge = reader.GetBoolean(); break;
                case WireKeys.CancelRequested: CancelRequested = reader.GetBoolean(); break;
                case WireKeys.Timestamp: Timestamp = reader.GetDateTimeOffset(); break;
                case WireKeys.StartedAt: StartedAt = reader.GetDateTimeOffset(); break;
                case WireKeys.CompletedAt: CompletedAt = reader.GetDateTimeOffset(); break;
                case WireKeys.LastEventAt: LastEventAt = reader.GetDateTimeOffset(); break;
                case WireKeys.DeadlineAt: DeadlineAt = reader.GetDateTimeOffset(); break;
                case WireKeys.Outcome:
                    Outcome = ReadOutcome(ref reader);
                    break;
                case WireKeys.Event:
                    Event = ReadEvent(ref reader);
                    break;
                case WireKeys.Queue:
                    Queue = ReadArray(ref reader);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject) throw new JsonException("Unterminated JSON object.");
    }

    private static RunOutcome ReadOutcome(ref Utf8JsonReader reader)
    {
        var nested = ReadNested(ref reader);
        return RunOutcome.Of((RunStatus)nested.Status, nested.Error);
    }

    private static AgentEvent ReadEvent(ref Utf8JsonReader reader)
    {
        var nested = ReadNested(ref reader);
        return LegacyJsonReader.BuildEvent(nested.EventManifest, in nested);
    }

    private static List<WireFields> ReadArray(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException($"Expected a JSON array, not {reader.TokenType}.");
        var items = new List<WireFields>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) items.Add(ReadNested(ref reader));
        return items;
    }

    private static WireFields ReadNested(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException($"Expected a JSON object, not {reader.TokenType}.");
        var nested = new WireFields();
        nested.ReadObject(ref reader);
        return nested;
    }
}
