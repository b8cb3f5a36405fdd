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
    private readonly List<RunnerFact<TRef>.RunEnqueued> _queue = [];
    private readonly bool _durable;
    private readonly EventLog _log;
    private HashSet<TRef>? _subscribers; // most sessions never have one
    private List<TRef>? _drainWaiters; // only while the node shuts down
    private List<RunnerEffect<TRef>>? _effects;
    private List<RunnerFact<TRef>>? _facts;
    private bool _executorRecovered;

    /// <summary>Sequences reserved per <see cref="RunnerFact{TRef}.SequencesReserved"/> fact: one extra write per this many events.</summary>
    public const int SequenceBlock = 1024;

    /// <summary>Creates the state of a session that has never had a run.</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="settings">Limits; <see cref="RunnerSettings.Default"/> when null.</param>
    /// <param name="newRunId">Run id generator; UUID v4 strings when null.</param>
    /// <param name="durable">Record <see cref="RunnerFact{TRef}"/>s in each decision, for a host that persists them.</param>
    public RunnerState(string sessionId, RunnerSettings? settings = null, Func<string>? newRunId = null, bool durable = false)
    {
        _durable = durable;
        SessionId = sessionId ?? throw new ArgumentNullException(nameof(sessionId));
        _settings = (settings ?? RunnerSettings.Default).Validate();
        _newRunId = newRunId ?? NewRunId;
        _log = new EventLog(_settings);
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
    public DateTimeOffset? LastEventAt => _log.LastEventAt;

    /// <summary>Latest round count reported by the current run.</summary>
    public int RoundCount { get; private set; }

    /// <summary>Latest tool reported by the current run.</summary>
    public string? LastToolName { get; private set; }

    /// <summary>Phase of <see cref="LastToolName"/>.</summary>
    public ToolPhase? LastToolPhase { get; private set; }

    /// <summary>The current run's latest budget event (replayed to new subscribers).</summary>
    public TokenBudgetUpdated? LastBudget => _log.LastBudget;

    /// <summary>Sequence of the latest event (0: none yet).</summary>
    public long LastSequence => _log.LastSequence;

    /// <summary>Runs waiting under <see cref="ConflictPolicy.Enqueue"/>, oldest first.</summary>
    public int QueueLength => _queue.Count;

    /// <summary>Run ids waiting, oldest first.</summary>
    public IEnumerable<string> QueuedRunIds => _queue.Select(q => q.RunId);

    /// <summary>Actors that receive the session's events as they are published.</summary>
    public int SubscriberCount => _subscribers?.Count ?? 0;

    /// <summary>The subscribers, for the host that delivers each emitted event to them (null: none).</summary>
    internal HashSet<TRef>? Subscribers => _subscribers;

    /// <summary>An active or queued run: the session has work in progress (what a shutdown drain waits for).</summary>
    public bool HasRuns => Status == RunStatus.Running || _queue.Count > 0;

    /// <summary>No run, nothing queued, no subscriber: nothing would be lost if the session left memory now.</summary>
    public bool IsIdle => !HasRuns && SubscriberCount == 0;

    /// <summary>A new incarnation of a session that is not durable: its events are numbered above
    /// <paramref name="floor"/>, which is at least the last sequence any earlier incarnation used.</summary>
    public void NumberAbove(long floor)
    {
        _log.Reserve(floor);
        _log.ResumeAboveReserved();
    }

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
                if (executor is not null && !IsWatched(executor)) Add(new RunnerEffect<TRef>.Watch(executor));
                Record(new RunnerFact<TRef>.RunEnqueued(runId, executor, reserver, deadline));
                Record(new RunQueued(_queue.Count) { SessionId = SessionId, RunId = runId, Sequence = NextSequence(), Timestamp = now }, now);
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

        // The reply carries this run's error, not the state's: ending the run may already have started a queued one.
        var error = outcome.Status == RunStatus.Error ? outcome.Error ?? "" : null;
        EndRun(outcome.Status, error, now, startNext: true);
        return Decide(new Finalized(SessionId, runId, outcome.Status, error));
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

        _executorRecovered = false;
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
        }
        return Decide(acknowledge ? new Published(SessionId, runId, stamped.Sequence, CancelRequested) : null);
    }

    /// <summary>A watched actor died (process crash, node loss). As a subscriber it is dropped; as an executor its
    /// active run ends as <c>Error("executor lost")</c> and its queued runs are withdrawn. One actor may be both.</summary>
    public RunnerDecision<TRef> Terminated(TRef executor, DateTimeOffset now)
    {
        const string lost = "executor lost";
        _subscribers?.Remove(executor);
        for (var i = _queue.Count - 1; i >= 0; i--)
        {
            if (Equals(_queue[i].Executor, executor))
                Withdraw(i, RunStatus.Error, lost, lost, now);
        }
        // An executor recovered from the journal that dies before it is heard from again did not survive the restart.
        if (Status == RunStatus.Running && Executor is not null && Equals(Executor, executor))
            EndRun(RunStatus.Error, _executorRecovered ? LostOnRestart : lost, now, startNext: true);
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
    /// The node is shutting down: queued runs are withdrawn and cancellation of the active run is requested (it stays
    /// running until its executor finalizes, or its deadline ends it). Idempotent.
    /// </summary>
    /// <param name="reason">Why, for the cancellation and the withdrawn runs.</param>
    /// <param name="waiter">Told (<see cref="RunnerEffect{TRef}.Drained"/>) once the session has no run left; null: nobody.</param>
    /// <param name="now">The current time.</param>
    public RunnerDecision<TRef> Drain(string reason, TRef? waiter, DateTimeOffset now)
    {
        if (waiter is not null) (_drainWaiters ??= []).Add(waiter);
        for (var i = _queue.Count - 1; i >= 0; i--)
            Withdraw(i, RunStatus.Cancelled, null, reason, now);
        if (Status == RunStatus.Running) RequestCancel(reason, now);
        return Decide(null);
    }

    /// <summary>
    /// <paramref name="subscriber"/> receives the session's events from now on, after a replay (see
    /// <see cref="Replay"/>): replay and subscription are one step, so live events follow without gap or duplicate.
    /// </summary>
    public RunnerDecision<TRef> Subscribe(TRef subscriber, long? afterSequence)
    {
        var reply = new Subscribed(SessionId, LastSequence);
        var replay = Replay(afterSequence);
        if (replay.Count > 0) Add(new RunnerEffect<TRef>.Deliver(subscriber, replay));
        if ((_subscribers ??= []).Add(subscriber) && !IsExecutor(subscriber)) Add(new RunnerEffect<TRef>.Watch(subscriber));
        return Decide(reply);
    }

    /// <summary><paramref name="subscriber"/> receives no more events.</summary>
    public RunnerDecision<TRef> Unsubscribe(TRef subscriber)
    {
        if (_subscribers?.Remove(subscriber) == true && !IsExecutor(subscriber)) Add(new RunnerEffect<TRef>.Unwatch(subscriber));
        return Decide(new Unsubscribed(SessionId));
    }

    /// <summary>The session's diagnostics, as a reply.</summary>
    public RunnerDecision<TRef> GetStatus() => Decide(Snapshot());

    /// <summary>
    /// The session is leaving memory while not idle (its actor stopped or failed): the active run ends as
    /// <c>Error(<paramref name="reason"/>)</c> with its executor signalled, and queued runs are withdrawn, so no run is
    /// left running with nobody to end it. Also the end of a shutdown drain whose grace passed: then
    /// <paramref name="waiter"/> is told once nothing is left.
    /// </summary>
    public RunnerDecision<TRef> Abandon(string reason, DateTimeOffset now, TRef? waiter = null)
    {
        if (waiter is not null) (_drainWaiters ??= []).Add(waiter);
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
    /// Events to send a new subscriber, in ascending sequence order. Without a cursor: the latest budget event and the
    /// last critical events. With <paramref name="afterSequence"/>: every retained event after it, preceded by a
    /// <see cref="ReplayGap"/> when some were evicted. A cursor beyond <see cref="LastSequence"/> (from before this
    /// session was last in memory) replays everything retained.
    /// </summary>
    public IReadOnlyList<AgentEvent> Replay(long? afterSequence) => _log.Replay(afterSequence, SessionId, RunId);

    /// <summary>Error of a run that did not survive a restart (its executor is gone, or it had none and its deadline passed).</summary>
    public const string LostOnRestart = "lost on restart";

    /// <summary>Applies a recorded fact (decisions do this as they go; recovery replays the journal through it).</summary>
    public void Apply(RunnerFact<TRef> fact)
    {
        switch (fact)
        {
            case RunnerFact<TRef>.RunStarted started:
                _queue.RemoveAll(queued => queued.RunId == started.RunId);
                Status = RunStatus.Running;
                RunId = started.RunId;
                StartedAt = started.StartedAt;
                CompletedAt = null;
                Error = null;
                CancelRequested = false;
                Executor = started.Executor;
                DeadlineAt = started.DeadlineAt;
                RoundCount = 0;
                LastToolName = null;
                LastToolPhase = null;
                _executorRecovered = false;
                _log.RunStarted(started.StartedAt);
                break;
            // Facts for a run that is not the active one change nothing: an ended run is never ended twice, even if a
            // journal held a stale writer's facts.
            case RunnerFact<TRef>.CancelRequested cancel when cancel.RunId == RunId && Status == RunStatus.Running:
                CancelRequested = true;
                break;
            case RunnerFact<TRef>.RunEnded ended when ended.RunId == RunId && Status == RunStatus.Running:
                Status = ended.Status;
                Error = ended.Error;
                CompletedAt = ended.CompletedAt;
                Executor = null;
                RoundCount = ended.RoundCount;
                LastToolName = ended.LastToolName;
                LastToolPhase = ended.LastToolPhase;
                _log.Touch(ended.CompletedAt);
                break;
            case RunnerFact<TRef>.RunEnqueued enqueued:
                _queue.Add(enqueued);
                break;
            case RunnerFact<TRef>.QueuedRunWithdrawn withdrawn:
                _queue.RemoveAll(queued => queued.RunId == withdrawn.RunId);
                break;
            case RunnerFact<TRef>.SequencesReserved reserved:
                _log.Reserve(reserved.UpTo);
                break;
        }
    }

    /// <summary>The durable state, for a persistence snapshot.</summary>
    public DurableRunnerState<TRef> ToDurable() => new(Status, RunId, StartedAt, CompletedAt, Error, CancelRequested, Executor,
        DeadlineAt, RoundCount, LastToolName, LastToolPhase, Math.Max(_log.ReservedSequence, LastSequence), _queue.ToArray());

    /// <summary>Restores the durable state of a persistence snapshot (recovery then replays the later facts).</summary>
    public void Restore(DurableRunnerState<TRef> durable)
    {
        Status = durable.Status;
        RunId = durable.RunId;
        StartedAt = durable.StartedAt;
        CompletedAt = durable.CompletedAt;
        Error = durable.Error;
        CancelRequested = durable.CancelRequested;
        Executor = durable.Executor;
        DeadlineAt = durable.DeadlineAt;
        RoundCount = durable.RoundCount;
        LastToolName = durable.LastToolName;
        LastToolPhase = durable.LastToolPhase;
        _log.Reserve(durable.ReservedSequence);
        _queue.Clear();
        _queue.AddRange(durable.Queue);
    }

    /// <summary>
    /// Recovery finished: numbering continues above every sequence that may have been used; executors are watched again
    /// (one that is gone ends its run as <c>Error("lost on restart")</c>); a run without an executor whose deadline has
    /// passed ends the same way; otherwise the deadline timer is re-armed for the time left.
    /// </summary>
    public RunnerDecision<TRef> Recovered(DateTimeOffset now)
    {
        _log.ResumeAboveReserved();
        foreach (var queued in _queue)
        {
            if (queued.Executor is not null) Add(new RunnerEffect<TRef>.Watch(queued.Executor));
        }
        if (Status != RunStatus.Running) return Decide(null);

        if (Executor is null && DeadlineAt <= now)
        {
            EndRun(RunStatus.Error, LostOnRestart, now, startNext: true);
            return Decide(null);
        }
        if (Executor is not null)
        {
            _executorRecovered = true;
            Add(new RunnerEffect<TRef>.Watch(Executor));
        }
        var left = DeadlineAt is { } deadline && deadline > now ? deadline - now : TimeSpan.Zero;
        Add(new RunnerEffect<TRef>.ScheduleDeadline(RunId!, left));
        return Decide(null);
    }

    /// <summary>The session's diagnostics.</summary>
    public RunnerSnapshot Snapshot() => new(
        SessionId, Status, RunId, StartedAt, CompletedAt, Error, LastEventAt, RoundCount, LastToolName, LastToolPhase,
        CancelRequested, _queue.Count, SubscriberCount, LastSequence, Status == RunStatus.Running ? DeadlineAt : null);

    private Reserved StartRun(string runId, TRef? executor, TRef? reserver, TimeSpan? deadline, DateTimeOffset now)
    {
        if (executor is not null && !IsWatched(executor)) Add(new RunnerEffect<TRef>.Watch(executor));
        var limit = deadline ?? _settings.DefaultDeadline;
        Record(new RunnerFact<TRef>.RunStarted(runId, now, now + limit, executor));
        Add(new RunnerEffect<TRef>.ScheduleDeadline(runId, limit));
        var reserved = new Reserved(SessionId, runId, now);
        if (reserver is not null) Add(new RunnerEffect<TRef>.Notify(reserver, reserved));
        Record(new ExecutionStarted { SessionId = SessionId, RunId = runId, Sequence = NextSequence(), Timestamp = now }, now);
        return reserved;
    }

    private void RequestCancel(string reason, DateTimeOffset now)
    {
        if (CancelRequested) return;
        Record(new RunnerFact<TRef>.CancelRequested(RunId!, reason));
        Record(new RunCancelling(reason) { SessionId = SessionId, RunId = RunId!, Sequence = NextSequence(), Timestamp = now }, now);
        if (Executor is not null) Add(new RunnerEffect<TRef>.SignalCancel(Executor, RunId!, reason));
    }

    private void EndRun(RunStatus status, string? error, DateTimeOffset now, bool startNext)
    {
        var executor = Executor;
        var runId = RunId!;
        Record(new RunnerFact<TRef>.RunEnded(runId, status, error, now, RoundCount, LastToolName, LastToolPhase));
        Add(CancelTimersEffect);
        if (executor is not null && !IsWatched(executor)) Add(new RunnerEffect<TRef>.Unwatch(executor));
        Record(new ExecutionFinished(status, error) { SessionId = SessionId, RunId = runId, Sequence = NextSequence(), Timestamp = now }, now);

        if (!startNext || _queue.Count == 0) return;
        var next = _queue[0];
        StartRun(next.RunId, next.Executor, next.Reserver, next.Deadline, now);
    }

    private void Withdraw(int index, RunStatus status, string? error, string reason, DateTimeOffset now)
    {
        var queued = _queue[index];
        Record(new RunnerFact<TRef>.QueuedRunWithdrawn(queued.RunId));
        if (queued.Executor is not null && !IsWatched(queued.Executor)) Add(new RunnerEffect<TRef>.Unwatch(queued.Executor));
        if (queued.Reserver is not null) Add(new RunnerEffect<TRef>.Notify(queued.Reserver, new Rejected(SessionId, reason, queued.RunId)));
        Record(new ExecutionFinished(status, error) { SessionId = SessionId, RunId = queued.RunId, Sequence = NextSequence(), Timestamp = now }, now);
    }

    /// <summary>Stamps a copy of an executor's event (the caller's instance is never changed) and records it.</summary>
    private AgentEvent Emit(AgentEvent evt, string runId, DateTimeOffset now) =>
        Record(evt with { SessionId = SessionId, RunId = runId, Sequence = NextSequence(), Timestamp = now }, now);

    /// <summary>The next event sequence. A durable state reserves sequences in blocks (a fact), so numbering resumes
    /// above every sequence it may have used after a restart.</summary>
    private long NextSequence()
    {
        var sequence = _log.Next();
        if (_durable && sequence > _log.ReservedSequence)
            Record(new RunnerFact<TRef>.SequencesReserved(sequence + SequenceBlock - 1));
        return sequence;
    }

    /// <summary>Retains and publishes an event already stamped with its sequence (lifecycle events are created
    /// stamped, not copied).</summary>
    private AgentEvent Record(AgentEvent stamped, DateTimeOffset now)
    {
        _log.Add(stamped, now);
        Add(new RunnerEffect<TRef>.Emit(stamped));
        return stamped;
    }

    /// <summary>Whether <paramref name="actor"/> has a role that keeps it watched: executor of the active or a queued
    /// run, or subscriber. It is watched while it has one, and unwatched when it loses its last.</summary>
    private bool IsWatched(TRef actor) => IsExecutor(actor) || _subscribers?.Contains(actor) == true;

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

    private void Add(RunnerEffect<TRef> effect) => (_effects ??= []).Add(effect);

    private RunnerDecision<TRef> Decide(IRunnerReply? reply)
    {
        if (_drainWaiters is not null && !HasRuns)
        {
            foreach (var waiter in _drainWaiters) Add(new RunnerEffect<TRef>.Drained(waiter));
            _drainWaiters = null;
        }
        var effects = (IReadOnlyList<RunnerEffect<TRef>>?)_effects ?? [];
        var facts = (IReadOnlyList<RunnerFact<TRef>>?)_facts ?? [];
        _effects = null;
        _facts = null;
        return new RunnerDecision<TRef>(reply, effects, facts);
    }

    /// <summary>Changes state only through facts, so replaying the recorded facts rebuilds the same state.</summary>
    private void Record(RunnerFact<TRef> fact)
    {
        Apply(fact);
        if (_durable) (_facts ??= []).Add(fact);
    }

    private static readonly RunnerEffect<TRef>.CancelTimers CancelTimersEffect = new();

    private static string NewRunId() => RunIds.NewV4();
}
