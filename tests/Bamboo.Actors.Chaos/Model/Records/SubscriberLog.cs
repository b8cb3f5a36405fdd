using Bamboo.Actors.Chaos.History;
using Bamboo.Actors.Events;

namespace Bamboo.Actors.Chaos.Model.Records;

/// <summary>How a subscriber listens.</summary>
public enum SubscriberKind
{
    /// <summary><c>IRunnerClient.OpenSubscriptionAsync</c>: resubscribes by itself after the runner stops.</summary>
    Library,
    /// <summary>An actor of the harness sent in <c>Subscribe</c>: hears one incarnation of the session, then nothing.</summary>
    Raw,
}

/// <summary>One event as a subscriber received it.</summary>
public sealed record Received(TimeSpan At, AgentEvent Event);

/// <summary>Everything one subscriber of a session received, in order. Thread-safe.</summary>
public sealed class SubscriberLog(int id, string sessionId, string via, SubscriberKind kind, long? cursor, TimeSpan opened)
{
    private readonly object _gate = new();
    private readonly List<Received> _events = [];

    public int Id { get; } = id;
    public string SessionId { get; } = sessionId;
    public string Via { get; } = via;
    public SubscriberKind Kind { get; } = kind;

    /// <summary>The cursor it subscribed with (null: none, so its replay was the last critical events).</summary>
    public long? Cursor { get; } = cursor;

    public TimeSpan Opened { get; } = opened;

    /// <summary>The session's last sequence when the subscription became live.</summary>
    public long? LiveFrom { get; set; }

    public TimeSpan? Closed { get; private set; }

    /// <summary>Why it stopped: <c>unsubscribed</c>, <c>killed</c>, <c>node crashed</c>, <c>failed: ...</c>.</summary>
    public string? CloseReason { get; private set; }

    public bool Open => Closed is null;

    public void Add(TimeSpan at, AgentEvent evt)
    {
        lock (_gate) _events.Add(new Received(at, evt));
    }

    public void Close(TimeSpan at, string reason)
    {
        lock (_gate)
        {
            if (Closed is not null) return;
            Closed = at;
            CloseReason = reason;
        }
    }

    public IReadOnlyList<Received> Events
    {
        get
        {
            lock (_gate) return [.. _events];
        }
    }

    public string Describe() =>
        $"subscriber #{Id} of '{SessionId}' ({Kind}, via {Via}, cursor {(Cursor is { } c ? c.ToString() : "none")}, live from {LiveFrom}, " +
        $"opened {RunClock.Format(Opened)}{(Closed is { } closed ? $", closed {RunClock.Format(closed)} ({CloseReason})" : ", open")})";
}
