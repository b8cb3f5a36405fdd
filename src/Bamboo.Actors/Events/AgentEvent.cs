using Bamboo.Actors.Protocol;

namespace Bamboo.Actors.Events;

/// <summary>
/// Something that happened in a session. Executors create progress events with only their payload; the session's
/// runner stamps <see cref="SessionId"/>, <see cref="RunId"/>, <see cref="Sequence"/> and <see cref="Timestamp"/>
/// before publishing on the EventStream and delivering to subscribers.
/// </summary>
public abstract record AgentEvent : IWithSessionId
{
    /// <summary>The session (stamped).</summary>
    public string SessionId { get; init; } = "";

    /// <summary>The run the event belongs to (stamped).</summary>
    public string RunId { get; init; } = "";

    /// <summary>Per-session, strictly increasing, starting at 1 (stamped). 0 on <see cref="ReplayGap"/>, which is not an event of the stream.</summary>
    public long Sequence { get; init; }

    /// <summary>When the runner accepted the event (stamped).</summary>
    public DateTimeOffset Timestamp { get; init; }
}
