using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;

namespace Bamboo.Actors.Runners;

/// <summary>How facts change the state, and how a durable session is snapshotted, restored and recovered.</summary>
public sealed partial class RunnerState<TRef>
{
    /// <summary>Applies a recorded fact: recovery replays the journal through it (decisions derive the same change as they
    /// record each fact).</summary>
    public void Apply(RunnerFact<TRef> fact)
    {
        // Replay only: the run that ended last with its cancellation requested, told again once recovered.
        if (fact is RunnerFact<TRef>.RunEnded ended && ended.RunId == RunId && Status == RunStatus.Running)
        {
            _endedCancelled = CancelRequested && Executor is { } executor
                ? new CancelledRunEnd(ended.RunId, executor, CancelReason ?? "cancelled", ended.CompletedAt)
                : null;
        }
        Derive(fact);
    }

    /// <summary>
    /// Applies <paramref name="fact"/> and returns the lifecycle event it stands for (stamped with the fact's sequence),
    /// after retaining it for replay; null when the fact is no event, or was written before facts carried sequences.
    /// Facts for a run that is not the active one change nothing: an ended run is never ended twice, even if a journal
    /// held a stale writer's facts.
    /// </summary>
    private AgentEvent? Derive(RunnerFact<TRef> fact)
    {
        AgentEvent? derived = null;
        switch (fact)
        {
            case RunnerFact<TRef>.RunStarted started:
                derived = StartedRun(started.RunId, started.StartedAt, started.DeadlineAt, started.Executor, started.Request, started.Sequence);
                _reserver = started.Reserver;
                break;
            case RunnerFact<TRef>.CancelRequested cancel when cancel.RunId == RunId && Status == RunStatus.Running:
                CancelRequested = true;
                CancelReason = cancel.Reason;
                CancelledBy = cancel.By;
                derived = cancel.Sequence <= 0 ? null
                    : new RunCancelling(cancel.Reason) { SessionId = SessionId, RunId = cancel.RunId, Sequence = cancel.Sequence, Timestamp = cancel.At };
                break;
            case RunnerFact<TRef>.RunEnded ended when ended.RunId == RunId && Status == RunStatus.Running:
                derived = EndedRun(ended.RunId, ended.Status, ended.Error, ended.CompletedAt, ended.RoundCount, ended.LastToolName,
                    ended.LastToolPhase, ended.Output, ended.Sequence);
                break;
            case RunnerFact<TRef>.RunEnqueued enqueued:
                (_queue ??= []).Add(enqueued);
                Remember(enqueued.RunId, enqueued.Request, QueueLength);
                if (enqueued.Request is { } request)
                    derived = enqueued.Sequence <= 0 ? null
                        : new RunQueued(QueueLength) { SessionId = SessionId, RunId = enqueued.RunId, Sequence = enqueued.Sequence, Timestamp = request.CreatedAt };
                break;
            case RunnerFact<TRef>.QueuedRunWithdrawn withdrawn:
                _queue?.RemoveAll(queued => queued.RunId == withdrawn.RunId);
                derived = withdrawn.Sequence <= 0 ? null
                    : new ExecutionFinished(withdrawn.Status, withdrawn.Error)
                    {
                        SessionId = SessionId, RunId = withdrawn.RunId, Sequence = withdrawn.Sequence, Timestamp = withdrawn.At,
                    };
                break;
            case RunnerFact<TRef>.SequencesReserved reserved:
                _log.Reserve(reserved.UpTo);
                break;
            case RunnerFact<TRef>.EventsRecorded recorded:
                // Published live before they were recorded; on replay they rebuild the run's diagnostics and the ring.
                foreach (var evt in recorded.Events) Observe(evt);
                break;
            case RunnerFact<TRef>.SessionPurged:
                Purge();
                break;
        }
        return Retain(derived);
    }

    /// <summary>Retains a lifecycle event a fact's change derived, for replay.</summary>
    private AgentEvent? Retain(AgentEvent? derived)
    {
        if (derived is not null) _log.Add(derived);
        return derived;
    }

    /// <summary>Nothing of the previous run is kept in the current run's fields (its record lives on in the read model).</summary>
    private void ForgetRun()
    {
        Status = RunStatus.Pending;
        RunId = null;
        Request = null;
        StartedAt = null;
        CompletedAt = null;
        Error = null;
        Output = null;
        CancelRequested = false;
        CancelReason = null;
        CancelledBy = null;
        Executor = null;
        _reserver = null;
        DeadlineAt = null;
        RoundCount = 0;
        LastToolName = null;
        LastToolPhase = null;
        _executorRecovered = false;
    }

    /// <summary>An executor's event changes the run's diagnostics and is retained for replay (once: an event recorded
    /// after it was published live is already retained).</summary>
    private void Observe(AgentEvent stamped)
    {
        switch (stamped)
        {
            case ToolStarted tool:
                LastToolName = tool.ToolName;
                LastToolPhase = ToolPhase.Begin;
                break;
            case ToolLifecycle tool:
                LastToolName = tool.ToolName;
                LastToolPhase = tool.Phase;
                break;
            case RunnerProgress progress:
                RoundCount = progress.RoundCount;
                break;
        }
        _log.Add(stamped);
    }

    /// <summary>
    /// Run <paramref name="runId"/> starts (the change of a <see cref="RunnerFact{TRef}.RunStarted"/>, applied without the
    /// fact when none is recorded); returns its <see cref="ExecutionStarted"/>, null for a fact written before facts carried
    /// sequences. Lifecycle events are created stamped, never created and copied.
    /// </summary>
    private ExecutionStarted? StartedRun(string runId, DateTimeOffset startedAt, DateTimeOffset deadlineAt, TRef? executor, RunRequest? request,
        long sequence)
    {
        if (_queue is { Count: > 0 } queue) queue.RemoveAll(queued => queued.RunId == runId);
        ForgetRun();
        Status = RunStatus.Running;
        RunId = runId;
        Request = request;
        StartedAt = startedAt;
        Executor = executor;
        DeadlineAt = deadlineAt;
        _log.RunStarted(startedAt);
        Remember(runId, request, queuePosition: 0);
        return sequence <= 0 ? null : new ExecutionStarted { SessionId = SessionId, RunId = runId, Sequence = sequence, Timestamp = startedAt };
    }

    /// <summary>The active run ends (the change of a <see cref="RunnerFact{TRef}.RunEnded"/>, applied without the fact when
    /// none is recorded); returns its <see cref="ExecutionFinished"/>, null for a fact written before facts carried sequences.</summary>
    private ExecutionFinished? EndedRun(string runId, RunStatus status, string? error, DateTimeOffset completedAt, int roundCount,
        string? lastToolName, ToolPhase? lastToolPhase, string? output, long sequence)
    {
        Status = status;
        Error = error;
        Output = output;
        CompletedAt = completedAt;
        Executor = null;
        _reserver = null;
        RoundCount = roundCount;
        LastToolName = lastToolName;
        LastToolPhase = lastToolPhase;
        _log.Touch(completedAt);
        return sequence <= 0 ? null
            : new ExecutionFinished(status, error) { SessionId = SessionId, RunId = runId, Sequence = sequence, Timestamp = completedAt };
    }

    /// <summary>The durable state, for a persistence snapshot.</summary>
    public DurableRunnerState<TRef> ToDurable() => new(Status, RunId, StartedAt, CompletedAt, Error, CancelRequested, Executor,
        DeadlineAt, RoundCount, LastToolName, LastToolPhase, Math.Max(_log.ReservedSequence, LastSequence), _queue?.ToArray() ?? [])
    {
        Request = Request,
        Reserver = _reserver,
        Output = Output,
        CancelReason = CancelReason,
        CancelledBy = CancelledBy,
        LastSequence = LastSequence,
        Events = _log.Kept(),
        LastBudget = LastBudget,
        Starts = _starts?.Values.ToArray() ?? [],
    };

    /// <summary>Restores the durable state of a persistence snapshot (recovery then replays the later facts).</summary>
    public void Restore(DurableRunnerState<TRef> durable)
    {
        Status = durable.Status;
        RunId = durable.RunId;
        Request = durable.Request;
        StartedAt = durable.StartedAt;
        CompletedAt = durable.CompletedAt;
        Error = durable.Error;
        Output = durable.Output;
        CancelRequested = durable.CancelRequested;
        CancelReason = durable.CancelReason;
        CancelledBy = durable.CancelledBy;
        Executor = durable.Executor;
        _reserver = durable.Reserver;
        DeadlineAt = durable.DeadlineAt;
        RoundCount = durable.RoundCount;
        LastToolName = durable.LastToolName;
        LastToolPhase = durable.LastToolPhase;
        _log.Reserve(durable.ReservedSequence);
        _log.Restore(durable.Events, durable.LastBudget, durable.LastSequence);
        _queue = durable.Queue.Count > 0 ? [.. durable.Queue] : null;
        _starts = null;
        foreach (var start in durable.Starts) (_starts ??= [])[start.Key] = start;
    }

    /// <summary>How long after a cancelled run ended its executor is told again when the session is recovered.</summary>
    internal static readonly TimeSpan EndedSignalWindow = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Recovery finished: numbering continues above every sequence that may have been used; executors are watched again
    /// (one that is gone ends its run as <c>Error("lost on restart")</c>); a run without an executor whose deadline has
    /// passed ends the same way; otherwise the deadline timer is re-armed for the time left, a worker's heartbeat
    /// timeout counts from now, whoever queued the running run is told again that it started, and its executor again that
    /// its cancellation was requested; so is the executor of a cancelled run that ended shortly before.
    /// </summary>
    public RunnerDecision<TRef> Recovered(DateTimeOffset now)
    {
        _log.ResumeAboveReserved();
        foreach (var queued in (IEnumerable<RunnerFact<TRef>.RunEnqueued>?)_queue ?? [])
        {
            if (queued.Executor is not null) Add(new RunnerEffect<TRef>.Watch(queued.Executor));
        }
        // Told again: the run that ended last with its cancellation requested (interrupted by the next reservation, its
        // deadline's grace over) may have been ended by an incarnation that died before its signal left the node, and
        // an executor never told goes on working for a run that is over. Recently only: an executor that has not heard
        // in that long is gone. An executor that heard it, or finalized the run itself, ignores the repeat.
        if (_endedCancelled is { } ended && now - ended.At <= EndedSignalWindow)
            Add(new RunnerEffect<TRef>.SignalCancel(ended.Executor, ended.RunId, ended.Reason));
        _endedCancelled = null;
        if (Status != RunStatus.Running) return Decide(null);

        // Told again: the incarnation that started the queued run may have crashed before its word reached the reserver
        // (a reserver that heard it already ignores the repeat).
        if (_reserver is not null) Add(new RunnerEffect<TRef>.Notify(_reserver, new RunnerReplies.Reserved(SessionId, RunId!, StartedAt ?? now)));
        if (Executor is null && DeadlineAt <= now)
        {
            EndRun(RunStatus.Error, LostOnRestart, null, now, startNext: true);
            return Decide(null);
        }
        if (Executor is not null)
        {
            _executorRecovered = true;
            Add(new RunnerEffect<TRef>.Watch(Executor));
            // Its cancellation was recorded, but the signal may never have left: a write whose commit the journal
            // reported as failed (the store went away mid-commit) leaves the fact recorded and its effects unapplied.
            if (CancelRequested) Add(new RunnerEffect<TRef>.SignalCancel(Executor, RunId!, CancelReason ?? "cancelled"));
        }

        var left = DeadlineAt is { } deadline && deadline > now ? deadline - now : TimeSpan.Zero;
        Add(new RunnerEffect<TRef>.ScheduleDeadline(RunId!, left));
        _lastHeartbeatAt = now;
        if (Request?.HeartbeatTimeout is { } heartbeat) Add(new RunnerEffect<TRef>.ScheduleHeartbeatCheck(RunId!, heartbeat));
        return Decide(null);
    }
}
