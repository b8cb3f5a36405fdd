namespace Bamboo.Actors.Serialization.Legacy;

/// <summary>
/// The property names of the first (JSON) wire format: one vocabulary shared by every message, so one reader
/// (<see cref="WireFields"/>) parses them all. A key always carries the same kind of value.
/// </summary>
internal static class WireKeys
{
    // Strings. Absent means null, except for an event's stamps (session, run), where it means "" (not stamped yet).
    public const string SessionId = "s";
    public const string RunId = "r";
    public const string CurrentRunId = "cr";
    public const string Reason = "rs";
    public const string Error = "er";
    public const string Text = "tx";
    public const string ToolName = "tn";
    public const string LastToolName = "ltn";

    /// <summary>Manifest of the event nested in a <c>Publish</c> (the <see cref="Event"/> object).</summary>
    public const string EventManifest = "t";

    // Actor references, as Akka serialized actor paths. Absent means null.
    public const string Executor = "x";
    public const string Subscriber = "sb";
    public const string Reserver = "rv";

    // Integers (enums as their declared numeric values). 0 is left out of non-nullable fields: absent means 0, or null
    // for a nullable field (which is written even when 0).
    public const string Sequence = "n";
    public const string Position = "p";
    public const string RoundCount = "rc";
    public const string Used = "u";
    public const string Limit = "l";
    public const string FromSequence = "gf";
    public const string ToSequence = "gt";
    public const string QueueLength = "ql";
    public const string SubscriberCount = "sc";
    public const string LastSequence = "ls";
    public const string AfterSequence = "as";
    public const string Status = "st";
    public const string OnConflict = "oc";
    public const string Phase = "ph";
    public const string LastToolPhase = "ltp";

    /// <summary>A <see cref="TimeSpan"/> in ticks (exact).</summary>
    public const string Deadline = "dl";

    // Booleans. false is left out: absent means false.
    public const string Acknowledge = "ak";
    public const string CancelRequested = "cq";

    // Instants, ISO 8601 with offset and 100 ns precision (exact). Absent means null (default for an unstamped event).
    public const string Timestamp = "ts";
    public const string StartedAt = "sa";
    public const string CompletedAt = "ca";
    public const string LastEventAt = "le";
    public const string DeadlineAt = "da";

    // Nested objects.
    /// <summary>A run outcome: <c>{"st": status, "er": error?}</c>.</summary>
    public const string Outcome = "o";

    /// <summary>An event: <c>{"t": manifest, ...its fields}</c>.</summary>
    public const string Event = "e";

    /// <summary>A durable state's queue: an array of <c>{"r", "x"?, "rv"?, "dl"?}</c> objects.</summary>
    public const string Queue = "q";
}
