using Bamboo.Actors.Events;

namespace Bamboo.Actors.Runners;

/// <summary>
/// A session's event numbering and the events it keeps for replay: every event within the retention (for a subscriber
/// that resumes after a sequence) and the last critical events and budget (for a subscriber without a cursor). Part of
/// <see cref="RunnerState{TRef}"/>; the rules of what a subscriber is sent live here.
/// </summary>
internal sealed class EventLog
{
    private readonly RunnerSettings _settings;
    private EventRing<AgentEvent> _retained;
    private EventRing<AgentEvent> _critical;
    private long _floor;
    private long _newest;

    public EventLog(RunnerSettings settings)
    {
        _settings = settings;
        _retained = new EventRing<AgentEvent>(settings.EventRetention);
        _critical = new EventRing<AgentEvent>(settings.ReplayCriticalEvents);
    }

    /// <summary>Sequence of the latest event given out (0: none yet). A new in-memory incarnation starts at its floor.</summary>
    public long LastSequence { get; private set; }

    /// <summary>Sequences up to this one may have been used by an earlier incarnation (durable sessions reserve them in
    /// blocks); numbering resumes above it after recovery.</summary>
    public long ReservedSequence { get; private set; }

    /// <summary>Time of the latest event.</summary>
    public DateTimeOffset? LastEventAt { get; private set; }

    /// <summary>The current run's latest budget event (replayed to new subscribers).</summary>
    public TokenBudget? LastBudget { get; private set; }

    /// <summary>The next sequence number: above every one given out, and above the floor.</summary>
    public long Next() => LastSequence = Math.Max(LastSequence, _floor) + 1;

    /// <summary>Retains an event stamped with its sequence, unless it is already retained (an event recorded in the
    /// journal after it was published live comes back through the same path on replay).</summary>
    public void Add(AgentEvent stamped)
    {
        if (stamped.Sequence <= _newest) return;
        _newest = stamped.Sequence;
        if (stamped.Sequence > LastSequence) LastSequence = stamped.Sequence;
        LastEventAt = stamped.Timestamp;
        _retained.Add(stamped);
        if (stamped.IsCritical()) _critical.Add(stamped);
        if (stamped is TokenBudget budget) LastBudget = budget;
    }

    /// <summary>A new run starts: the previous run's budget is no longer replayed.</summary>
    public void RunStarted(DateTimeOffset at)
    {
        LastBudget = null;
        Touch(at);
    }

    /// <summary>Notes a lifecycle time recovered from a fact as the latest activity, if it is later.</summary>
    public void Touch(DateTimeOffset at)
    {
        if (LastEventAt is null || at > LastEventAt) LastEventAt = at;
    }

    /// <summary>Sequences up to <paramref name="upTo"/> may be used (a reservation, live or recovered).</summary>
    public void Reserve(long upTo) => ReservedSequence = Math.Max(ReservedSequence, upTo);

    /// <summary>Recovery finished: numbering continues above every sequence that may have been used, while
    /// <see cref="LastSequence"/> stays the last one actually recorded.</summary>
    public void ResumeAboveReserved() => _floor = Math.Max(_floor, ReservedSequence);

    /// <summary>A new in-memory incarnation: numbering continues above <paramref name="floor"/>, the last sequence an
    /// earlier incarnation used, which a replay from before it reports as a gap.</summary>
    public void NumberAbove(long floor)
    {
        _floor = Math.Max(_floor, floor);
        LastSequence = Math.Max(LastSequence, floor);
    }

    /// <summary>The session's history was deleted: nothing is retained, numbering goes on.</summary>
    public void Clear()
    {
        _retained = new EventRing<AgentEvent>(_settings.EventRetention);
        _critical = new EventRing<AgentEvent>(_settings.ReplayCriticalEvents);
        LastBudget = null;
        _floor = Math.Max(_floor, LastSequence);
    }

    /// <summary>Every event a replay may need, oldest first: the retained ones and the critical ones older than them.</summary>
    public IReadOnlyList<AgentEvent> Kept()
    {
        var kept = new List<AgentEvent>(_retained.Count + _critical.Count);
        var oldestRetained = _retained.Count > 0 ? _retained[0].Sequence : long.MaxValue;
        for (var i = 0; i < _critical.Count && _critical[i].Sequence < oldestRetained; i++) kept.Add(_critical[i]);
        for (var i = 0; i < _retained.Count; i++) kept.Add(_retained[i]);
        return kept;
    }

    /// <summary>Restores what <see cref="Kept"/> returned (a snapshot), with the budget and numbering it recorded.</summary>
    public void Restore(IReadOnlyList<AgentEvent> kept, TokenBudget? lastBudget, long lastSequence)
    {
        foreach (var evt in kept) Add(evt);
        if (lastBudget is not null) LastBudget = lastBudget;
        LastSequence = Math.Max(LastSequence, lastSequence);
    }

    /// <summary>
    /// Events to send a new subscriber, in ascending sequence order. Without a cursor: the latest budget event and the
    /// last critical events. With <paramref name="afterSequence"/>: every retained event after it, preceded by a
    /// <see cref="ReplayGap"/> when some were evicted (or numbered by an in-memory incarnation that is gone). A cursor
    /// at or beyond <see cref="LastSequence"/> has nothing to replay.
    /// </summary>
    public List<AgentEvent> Replay(long? afterSequence, string sessionId, string? runId)
    {
        var replay = new List<AgentEvent>();
        if (afterSequence is not { } after)
        {
            for (var i = 0; i < _critical.Count; i++) replay.Add(_critical[i]);
            if (LastBudget is not null)
            {
                var at = replay.FindIndex(e => e.Sequence > LastBudget.Sequence);
                replay.Insert(at < 0 ? replay.Count : at, LastBudget);
            }
            return replay;
        }

        if (after >= LastSequence) return replay;

        var oldest = _retained.Count > 0 ? _retained[0].Sequence : LastSequence + 1;
        if (oldest > after + 1)
            replay.Add(new ReplayGap(after + 1, oldest - 1) { SessionId = sessionId, RunId = runId ?? "", Timestamp = LastEventAt ?? default });
        for (var i = 0; i < _retained.Count; i++)
        {
            if (_retained[i].Sequence > after) replay.Add(_retained[i]);
        }
        return replay;
    }
}
