using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Runners;

/// <summary>
/// The runner state machine of one session, with no actor-system dependency: inputs in, a
/// <see cref="RunnerDecision{TRef}"/> (reply and effects) out. <c>Pending → Running → Completed | Cancelled | Error</c>;
/// a terminal runner accepts a new reservation, which starts a new run with a fresh run id.
/// </summary>
/// <remarks>
/// <para>Every <see cref="Finalize"/>, <see cref="Publish"/> and targeted <see cref="Cancel"/> is fenced by run id: input
/// for any run but the active one is answered with <see cref="StaleRun"/> and changes nothing. This is the fix for the
/// seed's stale-finalize bug, where a slow, superseded run overwrote the status of the newer run.</para>
/// <para>The type is mutable (one instance per session actor, never shared) so the event ring is not copied per event;
/// "pure" here means deterministic and free of I/O: time and run ids are inputs.</para>
/// </remarks>
/// <typeparam name="TRef">The handle of executors and reservers: <c>IActorRef</c> in the actor, anything in tests.</typeparam>
public sealed class RunnerState<TRef> where TRef : class
{
    private readonly RunnerSettings _settings;
    private readonly Func<string> _newRunId;
    private readonly List<QueuedRun> _queue = [];
    private readonly EventRing<AgentEvent> _retained;
    private readonly EventRing<AgentEvent> _critical;
    private List<RunnerEffect<TRef>>? _effects; // only while a decision is being made: idle sessions hold none

    // A list to collect one decision's effects in, shared by every session on this thread (a decision never waits, so
    // it is taken and handed back within one call); the decision itself gets an exact-size array.
    [ThreadStatic] private static List<RunnerEffect<TRef>>? t_spareEffects;

    /// <summary>Creates the state of a session that has never had a run.</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="settings">Limits; <see cref="RunnerSettings.Default"/> when null.</param>
    /// <param name="newRunId">Run id generator; UUID v4 strings when null.</param>
    public RunnerState(string sessionId, RunnerSettings? settings = null, Func<string>? newRunId = null)
    {
        SessionId = sessionId ?? throw new ArgumentNullException(nameof(sessionId));
        _settings = (settings ?? RunnerSettings.Default).Validate();
        _newRunId = newRunId ?? NewRunId;
        _retained = new EventRing<AgentEvent>(_settings.EventRetention);
        _critical = new EventRing<AgentEvent>(_settings.ReplayCriticalEvents);
    }

    /// <summary>The session.</summary>
    public string SessionId { get; }

    /// <summary>Status of the current (or last) run.</summary>
    public RunStatus Status { get; private set; } = RunStatus.Pending;

    /// <summary>The current (or last) run, null while <see cref="RunStatus.Pending"/>.</summary>
    public string? RunId { get; private set; }

    /// <summary>When the current run started.</summary>
    public DateTimeOffset? StartedAt { get; private set; }

    /// <summary>When the last run ended.</summary>
    public DateTimeOffset? CompletedAt { get; private set; }

    /// <summary>The last run's error, for <see cref="RunStatus.Error"/>.</summary>
    public string? Error { get; private set; }

    /// <summary>Whether cancellation of the current run was requested (by a caller or its deadline).</summary>
    public bool CancelRequested { get; private set; }

    /// <summary>The current run's executor, if it named one.</summary>
    public TRef? Executor { get; private set; }

    /// <summary>When the current run's deadline passes.</summary>
    public DateTimeOffset? DeadlineAt { get; private set; }

    /// <summary>Time of the session's latest event.</summary>
    public DateTimeOffset? LastEventAt { get; private set; }

    /// <summary>Latest round count reported by the current run.</summary>
    public int RoundCount { get; private set; }

    /// <summary>Latest tool reported by the current run.</summary>
    public string? LastToolName { get; private set; }

    /// <summary>Phase of <see cref="LastToolName"/>.</summary>
    public ToolPhase? LastToolPhase { get; private set; }

    /// <summary>The current run's latest budget event (replayed to new subscribers).</summary>
    public TokenBudgetUpdated? LastBudget { get; private set; }

    /// <summary>Sequence of the latest event (0: none yet).</summary>
    public long LastSequence { get; private set; }

    /// <summary>Runs waiting under <see cref="ConflictPolicy.Enqueue"/>, oldest first.</summary>
    public int QueueLength => _queue.Count;

    /// <summary>Run ids waiting, oldest first.</summary>
    public IEnumerable<string> QueuedRunIds => _queue.Select(q => q.RunId);

    /// <summary>No active and no queued run: nothing would be lost if the session left memory now.</summary>
    public bool IsIdle => Status != RunStatus.Running && _queue.Count == 0;

    /// <summary>Reserve a run (see <see cref="RunnerCommands.Reserve"/>).</summary>
    /// <param name="policy">What to do while a run is active.</param>
    /// <param name="executor">Who does the run's work (watched, signalled on cancel).</param>
    /// <param name="reserver">Who receives the later <see cref="Reserved"/>/<see cref="Rejected"/> of a queued run.</param>
    /// <param name="deadline">Maximum total duration; <see cref="RunnerSettings.DefaultDeadline"/> when null.</param>
    /// <param name="now">The current time.</param>
    public RunnerDecision<TRef> Reserve(ConflictPolicy policy, TRef? executor, TRef? reserver, TimeSpan? deadline, DateTimeOffset now)
    {
        if (Status != RunStatus.Running)
            return Decide(StartRun(_newRunId(), executor, reserver: null, deadline, now));

        switch (policy)
        {
            case ConflictPolicy.Interrupt:
                // The interrupted run ends now and is fenced by its run id; it jumps no queue: queued runs still
                // follow the interrupting one.
                RequestCancel("interrupted", now);
                EndRun(RunStatus.Cancelled, null, now, startNext: false);
                return Decide(StartRun(_newRunId(), executor, reserver: null, deadline, now));

            case ConflictPolicy.Enqueue:
                if (_queue.Count >= _settings.MaxQueueLength)
                    return Decide(new Rejected(SessionId, "queue_full"));
                var runId = _newRunId();
                if (executor is not null && !IsExecutor(executor)) Add(new RunnerEffect<TRef>.Watch(executor));
                _queue.Add(new QueuedRun(runId, executor, reserver, deadline));
                Record(new RunQueued(_queue.Count) { SessionId = SessionId, RunId = runId, Sequence = ++LastSequence, Timestamp = now }, now);
                return Decide(new Queued(SessionId, runId, _queue.Count));

            default:
                return Decide(new AlreadyRunning(SessionId, RunId!));
        }
    }

    /// <summary>End run <paramref name="runId"/> with <paramref name="outcome"/> (fenced by run id).</summary>
    public RunnerDecision<TRef> Finalize(string runId, RunOutcome outcome, DateTimeOffset now)
    {
        if (runId != RunId)
            return Decide(new StaleRun(SessionId, runId, RunId));
        if (Status != RunStatus.Running)
            return Decide(new AlreadyFinalized(SessionId, runId, Status));

        EndRun(outcome.Status, outcome.Status == RunStatus.Error ? outcome.Error ?? "" : null, now, startNext: true);
        return Decide(new Finalized(SessionId, runId, outcome.Status, Error));
    }

    /// <summary>
    /// Request cooperative cancellation of the active run (<paramref name="runId"/> null or the active run) or remove
    /// queued run <paramref name="runId"/>. Idempotent for an active run whose cancellation was already requested.
    /// </summary>
    public RunnerDecision<TRef> Cancel(string? runId, string? reason, DateTimeOffset now)
    {
        if (runId is null || runId == RunId)
        {
            if (Status != RunStatus.Running)
                return Decide(new NothingToCancel(SessionId));
            RequestCancel(reason ?? "cancelled", now);
            return Decide(new CancelRequested(SessionId, RunId!));
        }

        var index = _queue.FindIndex(q => q.RunId == runId);
        if (index < 0)
            return Decide(new StaleRun(SessionId, runId, RunId));

        Withdraw(index, RunStatus.Cancelled, null, "cancelled", now);
        return Decide(new CancelRequested(SessionId, runId));
    }

    /// <summary>
    /// Publish a progress event for run <paramref name="runId"/> (fenced by run id). With
    /// <paramref name="acknowledge"/>, success is answered with <see cref="Published"/>; otherwise only a fenced
    /// publish is answered.
    /// </summary>
    public RunnerDecision<TRef> Publish(string runId, AgentEvent evt, bool acknowledge, DateTimeOffset now)
    {
        if (RunnerCommandValidator.Event(evt) is { } problem)
            return Decide(new InvalidCommand(SessionId, problem));
        if (runId != RunId || Status != RunStatus.Running)
            return Decide(new StaleRun(SessionId, runId, RunId));

        var stamped = Emit(evt, runId, now);
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
            case TokenBudgetUpdated budget:
                LastBudget = budget;
                break;
        }
        return Decide(acknowledge ? new Published(SessionId, runId, stamped.Sequence, CancelRequested) : null);
    }

    /// <summary>An executor died (process crash, node loss): its active run ends as <c>Error("executor lost")</c>
    /// and its queued runs are withdrawn.</summary>
    public RunnerDecision<TRef> ExecutorTerminated(TRef executor, DateTimeOffset now)
    {
        const string lost = "executor lost";
        for (var i = _queue.Count - 1; i >= 0; i--)
        {
            if (Equals(_queue[i].Executor, executor))
                Withdraw(i, RunStatus.Error, lost, lost, now);
        }
        if (Status == RunStatus.Running && Executor is not null && Equals(Executor, executor))
            EndRun(RunStatus.Error, lost, now, startNext: true);
        return Decide(null);
    }

    /// <summary>The deadline of run <paramref name="runId"/> passed: request cancellation and give the executor
    /// <see cref="RunnerSettings.DeadlineGrace"/> to finalize.</summary>
    public RunnerDecision<TRef> DeadlinePassed(string runId, DateTimeOffset now)
    {
        if (runId != RunId || Status != RunStatus.Running)
            return Decide(null);
        RequestCancel("deadline exceeded", now);
        Add(new RunnerEffect<TRef>.ScheduleGrace(runId, _settings.DeadlineGrace));
        return Decide(null);
    }

    /// <summary>The grace after run <paramref name="runId"/>'s deadline expired: it ends as <c>Error("deadline exceeded")</c>.</summary>
    public RunnerDecision<TRef> GraceExpired(string runId, DateTimeOffset now)
    {
        if (runId == RunId && Status == RunStatus.Running)
            EndRun(RunStatus.Error, "deadline exceeded", now, startNext: true);
        return Decide(null);
    }

    /// <summary>
    /// The session is leaving memory while not idle (its actor stopped or failed): the active run ends as
    /// <c>Error(<paramref name="reason"/>)</c> with its executor signalled, and queued runs are withdrawn, so no run is
    /// left running with nobody to end it.
    /// </summary>
    public RunnerDecision<TRef> Abandon(string reason, DateTimeOffset now)
    {
        for (var i = _queue.Count - 1; i >= 0; i--)
            Withdraw(i, RunStatus.Error, reason, reason, now);
        if (Status == RunStatus.Running)
        {
            if (Executor is not null) Add(new RunnerEffect<TRef>.SignalCancel(Executor, RunId!, reason));
            EndRun(RunStatus.Error, reason, now, startNext: false);
        }
        return Decide(null);
    }

    /// <summary>
    /// Events to send a new subscriber. Without a cursor: the latest budget event and the last critical events. With
    /// <paramref name="afterSequence"/>: every retained event after it, preceded by a <see cref="ReplayGap"/> when some
    /// were evicted. Always in ascending sequence order. A cursor beyond <see cref="LastSequence"/> (from before this
    /// session was last in memory) replays everything retained.
    /// </summary>
    public IReadOnlyList<AgentEvent> Replay(long? afterSequence)
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
            replay.Add(new ReplayGap(after + 1, oldest - 1) { SessionId = SessionId, RunId = RunId ?? "", Timestamp = LastEventAt ?? default });
        for (var i = 0; i < _retained.Count; i++)
        {
            if (_retained[i].Sequence > after) replay.Add(_retained[i]);
        }
        return replay;
    }

    /// <summary>The session's diagnostics.</summary>
    public RunnerSnapshot Snapshot(int subscriberCount) => new(
        SessionId, Status, RunId, StartedAt, CompletedAt, Error, LastEventAt, RoundCount, LastToolName, LastToolPhase,
        CancelRequested, _queue.Count, subscriberCount, LastSequence, Status == RunStatus.Running ? DeadlineAt : null);

    private Reserved StartRun(string runId, TRef? executor, TRef? reserver, TimeSpan? deadline, DateTimeOffset now)
    {
        if (executor is not null && !IsExecutor(executor)) Add(new RunnerEffect<TRef>.Watch(executor));
        var limit = deadline ?? _settings.DefaultDeadline;
        Status = RunStatus.Running;
        RunId = runId;
        StartedAt = now;
        CompletedAt = null;
        Error = null;
        CancelRequested = false;
        Executor = executor;
        DeadlineAt = now + limit;
        RoundCount = 0;
        LastToolName = null;
        LastToolPhase = null;
        LastBudget = null;
        Add(new RunnerEffect<TRef>.ScheduleDeadline(runId, limit));
        var reserved = new Reserved(SessionId, runId, now);
        if (reserver is not null) Add(new RunnerEffect<TRef>.Notify(reserver, reserved));
        Record(new ExecutionStarted { SessionId = SessionId, RunId = runId, Sequence = ++LastSequence, Timestamp = now }, now);
        return reserved;
    }

    private void RequestCancel(string reason, DateTimeOffset now)
    {
        if (CancelRequested) return;
        CancelRequested = true;
        Record(new RunCancelling(reason) { SessionId = SessionId, RunId = RunId!, Sequence = ++LastSequence, Timestamp = now }, now);
        if (Executor is not null) Add(new RunnerEffect<TRef>.SignalCancel(Executor, RunId!, reason));
    }

    private void EndRun(RunStatus status, string? error, DateTimeOffset now, bool startNext)
    {
        var executor = Executor;
        Status = status;
        Error = error;
        CompletedAt = now;
        Executor = null;
        Add(CancelTimersEffect);
        if (executor is not null && !IsExecutor(executor)) Add(new RunnerEffect<TRef>.Unwatch(executor));
        Record(new ExecutionFinished(status, error) { SessionId = SessionId, RunId = RunId!, Sequence = ++LastSequence, Timestamp = now }, now);

        if (!startNext || _queue.Count == 0) return;
        var next = _queue[0];
        _queue.RemoveAt(0);
        StartRun(next.RunId, next.Executor, next.Reserver, next.Deadline, now);
    }

    private void Withdraw(int index, RunStatus status, string? error, string reason, DateTimeOffset now)
    {
        var queued = _queue[index];
        _queue.RemoveAt(index);
        if (queued.Executor is not null && !IsExecutor(queued.Executor)) Add(new RunnerEffect<TRef>.Unwatch(queued.Executor));
        if (queued.Reserver is not null) Add(new RunnerEffect<TRef>.Notify(queued.Reserver, new Rejected(SessionId, reason, queued.RunId)));
        Record(new ExecutionFinished(status, error) { SessionId = SessionId, RunId = queued.RunId, Sequence = ++LastSequence, Timestamp = now }, now);
    }

    /// <summary>Stamps a copy of an executor's event (the caller's instance is never changed) and records it.</summary>
    private AgentEvent Emit(AgentEvent evt, string runId, DateTimeOffset now) =>
        Record(evt with { SessionId = SessionId, RunId = runId, Sequence = ++LastSequence, Timestamp = now }, now);

    /// <summary>Records an event already stamped with the next sequence (lifecycle events are created stamped, not copied).</summary>
    private AgentEvent Record(AgentEvent stamped, DateTimeOffset now)
    {
        LastEventAt = now;
        _retained.Add(stamped);
        if (stamped.IsCritical()) _critical.Add(stamped);
        Add(new RunnerEffect<TRef>.Emit(stamped));
        return stamped;
    }

    /// <summary>Whether <paramref name="executor"/> is the executor of the active run or of a queued run.</summary>
    public bool IsExecutor(TRef executor)
    {
        if (Status == RunStatus.Running && Equals(Executor, executor)) return true;
        foreach (var queued in _queue)
        {
            if (Equals(queued.Executor, executor)) return true;
        }
        return false;
    }

    private void Add(RunnerEffect<TRef> effect)
    {
        if (_effects is null)
        {
            _effects = t_spareEffects ?? [];
            t_spareEffects = null;
        }
        _effects.Add(effect);
    }

    private RunnerDecision<TRef> Decide(IRunnerReply? reply)
    {
        if (_effects is not { } collected) return new RunnerDecision<TRef>(reply, []);
        var effects = collected.ToArray();
        collected.Clear();
        _effects = null;
        t_spareEffects = collected;
        return new RunnerDecision<TRef>(reply, effects);
    }

    private static readonly RunnerEffect<TRef>.CancelTimers CancelTimersEffect = new();

    private static string NewRunId() => RunIds.NewV4();

    private sealed record QueuedRun(string RunId, TRef? Executor, TRef? Reserver, TimeSpan? Deadline);
}
