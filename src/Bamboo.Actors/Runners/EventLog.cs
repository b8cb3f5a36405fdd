using Bamboo.Actors.Events;

namespace Bamboo.Actors.Runners;

/// <summary>
/// A session's event numbering and the events it keeps for replay: every event within the retention (for a subscriber
/// that resumes after a sequence) and the last critical events and budget (for a subscriber without a cursor). Part of
/// <see cref="RunnerState{TRef}"/>; the rules of what a subscriber is sent live here.
/// </summary>
internal sealed class EventLog
{
    private readonly EventRing<AgentEvent> _retained;
    private readonly EventRing<AgentEvent> _critical;

    public EventLog(RunnerSettings settings)
    {
        _retained = new EventRing<AgentEvent>(settings.EventRetention);
        _critical = new EventRing<AgentEvent>(settings.ReplayCriticalEvents);
    }

    /// <summary>Sequence of the latest event (0: none yet).</summary>
    public long LastSequence { get; private set; }

    /// <summary>Sequences up to this one may have been used by an earlier incarnation (durable sessions reserve them in
    /// blocks); numbering resumes above it after recovery.</summary>
    public long ReservedSequence { get; private set; }

    /// <summary>Time of the latest event.</summary>
    public DateTimeOffset? LastEventAt { get; private set; }

    /// <summary>The current run's latest budget event (replayed to new subscribers).</summary>
    public TokenBudgetUpdated? LastBudget { get; private set; }

    /// <summary>The next sequence number.</summary>
    public long Next() => ++LastSequence;

    /// <summary>Retains an event already stamped with its sequence.</summary>
    public void Add(AgentEvent stamped, DateTimeOffset now)
    {
        LastEventAt = now;
        _retained.Add(stamped);
        if (stamped.IsCritical()) _critical.Add(stamped);
        if (stamped is TokenBudgetUpdated budget) LastBudget = budget;
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

    /// <summary>Sequences up to <paramref name="upTo"/> may be used (a recovered reservation).</summary>
    public void Reserve(long upTo) => ReservedSequence = Math.Max(ReservedSequence, upTo);

    /// <summary>Recovery finished: numbering continues above every sequence that may have been used.</summary>
    public void ResumeAboveReserved() => LastSequence = Math.Max(LastSequence, ReservedSequence);

    /// <summary>
    /// Events to send a new subscriber, in ascending sequence order. Without a cursor: the latest budget event and the
    /// last critical events. With <paramref name="afterSequence"/>: every retained event after it, preceded by a
    /// <see cref="ReplayGap"/> when some were evicted. A cursor beyond <see cref="LastSequence"/> (from before this
    /// session was last in memory) replays everything retained.
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

        if (after > LastSequence) after = 0;
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
