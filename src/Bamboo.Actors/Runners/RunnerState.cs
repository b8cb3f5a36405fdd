using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Runners;

/// <summary>
/// The runner state machine of one session, with no actor-system dependency: inputs in, a
/// <see cref="RunnerDecision{TRef}"/> (reply, effects, facts) out. <c>Pending → Running → Completed | Cancelled | Error</c>;
/// a terminal runner accepts a new reservation, which starts a new run with a fresh run id.
/// </summary>
/// <remarks>
/// <para>Every <see cref="Finalize"/>, <see cref="Publish"/>, <see cref="Heartbeat"/> and targeted <see cref="Cancel"/> is
/// fenced by run id: input for any run but the active one is answered with <see cref="StaleRun"/> and changes nothing.
/// This is the fix for the seed's stale-finalize bug, where a slow, superseded run overwrote the status of the newer run.</para>
/// <para>State changes only through <see cref="RunnerFact{TRef}"/>s (this file decides, <c>RunnerState.Facts.cs</c>
/// applies), so replaying a durable session's facts rebuilds the same state, its run records and its events.</para>
/// <para>The type is mutable (one instance per session actor, never shared) so the event ring is not copied per event;
/// "pure" here means deterministic and free of I/O: time and run ids are inputs.</para>
/// </remarks>
/// <typeparam name="TRef">The handle of executors and reservers: <c>IActorRef</c> in the actor, anything in tests.</typeparam>
public sealed partial class RunnerState<TRef> where TRef : class
{
    private readonly RunnerSettings _settings;
    private readonly Func<string> _newRunId;
    private List<RunnerFact<TRef>.RunEnqueued>? _queue; // created by the first queued run: most sessions never queue one
    private readonly bool _durable;
    private readonly bool _recordsFacts;
    private readonly EventLog _log;
    private HashSet<TRef>? _subscribers; // most sessions never have one
    private List<TRef>? _drainWaiters; // only while the node shuts down
    private List<AgentEvent>? _unrecorded; // durable: executors' events published but not yet in a fact
    private RunnerEffect<TRef>? _effect; // a decision's only effect (most have one), without a list
    private List<RunnerEffect<TRef>>? _effects; // a decision's effects once it has a second
    private List<RunnerFact<TRef>>? _facts;
    private bool _executorRecovered;
    private DateTimeOffset _lastHeartbeatAt;

    /// <summary>Sequences reserved per <see cref="RunnerFact{TRef}.SequencesReserved"/> fact: one extra write per this many events.</summary>
    public const int SequenceBlock = 1024;

    /// <summary>Error of a run that did not survive a restart (its executor is gone, or it had none and its deadline passed).</summary>
    public const string LostOnRestart = "lost on restart";

    /// <summary>Error of a worker's run that sent nothing for longer than its heartbeat timeout.</summary>
    public const string HeartbeatTimedOut = "heartbeat timeout";

    /// <summary>Creates the state of a session that has never had a run.</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="settings">Limits; <see cref="RunnerSettings.Default"/> when null.</param>
    /// <param name="newRunId">Run id generator; UUID v4 strings when null.</param>
    /// <param name="durable">Record <see cref="RunnerFact{TRef}"/>s in each decision, for a host that persists them (and
    /// reserve sequences in blocks, so numbering survives a restart).</param>
    /// <param name="publishFacts">Record facts for a host that publishes them, though it does not persist them.</param>
    public RunnerState(string sessionId, RunnerSettings? settings = null, Func<string>? newRunId = null, bool durable = false,
        bool publishFacts = false)
    {
        _durable = durable;
        _recordsFacts = durable || publishFacts;
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

    /// <summary>What the current (or last) run was asked to be.</summary>
    public RunRequest? Request { get; private set; }

    /// <summary>When the current run started.</summary>
    public DateTimeOffset? StartedAt { get; private set; }

    /// <summary>When the last run ended.</summary>
    public DateTimeOffset? CompletedAt { get; private set; }

    /// <summary>The last run's error, for <see cref="RunStatus.Error"/>.</summary>
    public string? Error { get; private set; }

    /// <summary>The last run's output (JSON text), if its finalize carried one.</summary>
    public string? Output { get; private set; }

    /// <summary>Whether cancellation of the current run was requested (by a caller, an interrupt, its deadline, a shutdown).</summary>
    public bool CancelRequested { get; private set; }

    /// <summary>Why the current run's cancellation was requested.</summary>
    public string? CancelReason { get; private set; }

    /// <summary>Who requested the current run's cancellation (<see cref="CancelSources"/>).</summary>
    public string? CancelledBy { get; private set; }

    /// <summary>The current run's executor, if it named one.</summary>
    public TRef? Executor { get; private set; }

    /// <summary>Who queued the running run, in a durable state (told again that it started when it is recovered).</summary>
    private TRef? _reserver;

    /// <summary>
    /// Replay only: the run that ended last, if its cancellation had been requested and it had an executor — ended by
    /// this session (interrupted, its deadline's grace over) or by its executor after the signal. Told again when the
    /// state is recovered: the incarnation that wrote the end may have died before its signal left the node. Set only by
    /// <see cref="Apply"/> (the live path's own signal goes out with the write), and cleared once recovered, so an idle
    /// session keeps no reference to a finished executor. Not in snapshots: a snapshot taken with the very write that
    /// ended the run loses it.
    /// </summary>
    private CancelledRunEnd? _endedCancelled;

    /// <summary>A run that ended with its cancellation requested, and whom to tell (<see cref="_endedCancelled"/>).</summary>
    private sealed record CancelledRunEnd(string RunId, TRef Executor, string Reason, DateTimeOffset At);

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
    public TokenBudget? LastBudget => _log.LastBudget;

    /// <summary>Sequence of the latest event (0: none yet).</summary>
    public long LastSequence => _log.LastSequence;

    /// <summary>Runs waiting under <see cref="ConflictPolicy.Enqueue"/>, oldest first.</summary>
    public int QueueLength => _queue?.Count ?? 0;

    /// <summary>Run ids waiting, oldest first.</summary>
    public IEnumerable<string> QueuedRunIds => _queue?.Select(q => q.RunId) ?? [];

    /// <summary>Actors that receive the session's events as they are published.</summary>
    public int SubscriberCount => _subscribers?.Count ?? 0;

    /// <summary>The subscribers, for the host that delivers each emitted event to them (null: none).</summary>
    internal HashSet<TRef>? Subscribers => _subscribers;

    /// <summary>An active or queued run: the session has work in progress (what a shutdown drain waits for).</summary>
    public bool HasRuns => Status == RunStatus.Running || QueueLength > 0;

    /// <summary>No run, nothing queued, no subscriber: nothing would be lost if the session left memory now.</summary>
    public bool IsIdle => !HasRuns && SubscriberCount == 0;

    /// <summary>Executors' events published but not yet recorded (when facts are recorded): recorded by the next
    /// decision, or at the latest by <see cref="FlushEvents"/> when its timer fires.</summary>
    public int UnrecordedEvents => _unrecorded?.Count ?? 0;

    /// <summary>A new incarnation of a session that is not durable: its events are numbered above
    /// <paramref name="floor"/>, which is at least the last sequence any earlier incarnation used.</summary>
    public void NumberAbove(long floor) => _log.NumberAbove(floor);

    /// <summary>Reserve a run (see <see cref="RunnerCommands.Reserve"/>).</summary>
    /// <param name="policy">What to do while a run is active.</param>
    /// <param name="executor">Who does the run's work (watched, signalled on cancel).</param>
    /// <param name="reserver">Who receives the later <see cref="Reserved"/>/<see cref="Rejected"/> of a queued run.</param>
    /// <param name="deadline">Maximum total duration; <see cref="RunnerSettings.DefaultDeadline"/> when null.</param>
    /// <param name="now">The current time.</param>
    /// <param name="request">What the run is (agent, input, idempotency key, heartbeat); a bare worker run when null.</param>
    public RunnerDecision<TRef> Reserve(ConflictPolicy policy, TRef? executor, TRef? reserver, TimeSpan? deadline, DateTimeOffset now,
        RunRequest? request = null)
    {
        request ??= new RunRequest(now, policy);
        if (IdempotentAnswer(request, now) is { } answer) return Decide(answer);

        if (Status != RunStatus.Running)
            return Decide(StartRun(_newRunId(), executor, reserver: null, deadline, request, now));

        switch (policy)
        {
            case ConflictPolicy.Interrupt:
                // The interrupted run ends now and is fenced by its run id; it jumps no queue: queued runs still
                // follow the interrupting one.
                RequestCancel("interrupted", CancelSources.Interrupt, now);
                EndRun(RunStatus.Cancelled, null, null, now, startNext: false);
                return Decide(StartRun(_newRunId(), executor, reserver: null, deadline, request, now));

            case ConflictPolicy.Enqueue:
                if (QueueLength >= _settings.MaxQueueLength)
                    return Decide(new Rejected(SessionId, "queue_full"));
                var runId = _newRunId();
                if (executor is not null && !IsWatched(executor)) Add(new RunnerEffect<TRef>.Watch(executor));
                var sequence = NextSequence();
                Emit(Record(new RunnerFact<TRef>.RunEnqueued(runId, executor, reserver, deadline, request, sequence)));
                return Decide(new Queued(SessionId, runId, QueueLength));

            default:
                return Decide(new AlreadyRunning(SessionId, RunId!));
        }
    }

    /// <summary>End run <paramref name="runId"/> with <paramref name="outcome"/> (fenced by run id), keeping the
    /// executor's <paramref name="output"/> (JSON text) in its record.</summary>
    public RunnerDecision<TRef> Finalize(string runId, RunOutcome outcome, DateTimeOffset now, string? output = null)
    {
        if (runId != RunId)
            return Decide(new StaleRun(SessionId, runId, RunId));
        if (Status != RunStatus.Running)
            return Decide(new AlreadyFinalized(SessionId, runId, Status));

        // The reply carries this run's error, not the state's: ending the run may already have started a queued one.
        var error = outcome.Status == RunStatus.Error ? outcome.Error ?? "" : null;
        EndRun(outcome.Status, error, output, now, startNext: true);
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
            RequestCancel(reason ?? "cancelled", CancelSources.Caller, now);
            return Decide(new CancelRequested(SessionId, RunId!));
        }

        var index = _queue?.FindIndex(q => q.RunId == runId) ?? -1;
        if (index < 0)
            return Decide(new StaleRun(SessionId, runId, RunId));

        Withdraw(index, RunStatus.Cancelled, null, "cancelled", now);
        return Decide(new CancelRequested(SessionId, runId));
    }

    /// <summary>
    /// Publish a progress event for run <paramref name="runId"/> (fenced by run id). With
    /// <paramref name="acknowledge"/>, success is answered with <see cref="Published"/>; otherwise only a fenced
    /// publish is answered. A durable state records tool events at once and progress events in batches
    /// (<see cref="RunnerSettings.EventBatchSize"/>, or when <see cref="FlushEvents"/> runs).
    /// </summary>
    public RunnerDecision<TRef> Publish(string runId, AgentEvent evt, bool acknowledge, DateTimeOffset now)
    {
        if (RunnerCommandValidator.Event(evt) is { } problem)
            return Decide(new InvalidCommand(SessionId, problem));
        if (runId != RunId || Status != RunStatus.Running)
            return Decide(new StaleRun(SessionId, runId, RunId));

        _executorRecovered = false;
        _lastHeartbeatAt = now;
        // A copy is stamped: the caller's instance is never changed.
        var stamped = evt with { SessionId = SessionId, RunId = runId, Sequence = NextSequence(), Timestamp = now };
        Observe(stamped);
        Emit(stamped);
        if (_recordsFacts)
        {
            (_unrecorded ??= []).Add(stamped);
            if (stamped.IsCritical() || _unrecorded.Count >= _settings.EventBatchSize) RecordUnrecorded();
            else if (_unrecorded.Count == 1) Add(new RunnerEffect<TRef>.ScheduleFlush(_settings.EventBatchInterval));
        }
        return Decide(acknowledge ? new Published(SessionId, runId, stamped.Sequence, CancelRequested) : null);
    }

    /// <summary>The batch timer fired: executors' events published since the last record are recorded now.</summary>
    public RunnerDecision<TRef> FlushEvents()
    {
        if (UnrecordedEvents > 0) RecordUnrecorded();
        return Decide(null);
    }

    /// <summary>
    /// A worker says it is alive (<see cref="RunnerCommands.Heartbeat"/>): fenced by run id, answered like an
    /// acknowledged publish (whether cancellation was requested), with no event.
    /// </summary>
    public RunnerDecision<TRef> Heartbeat(string runId, DateTimeOffset now)
    {
        if (runId != RunId || Status != RunStatus.Running)
            return Decide(new StaleRun(SessionId, runId, RunId));
        _executorRecovered = false;
        _lastHeartbeatAt = now;
        return Decide(new Published(SessionId, runId, LastSequence, CancelRequested));
    }

    /// <summary>
    /// The heartbeat check of run <paramref name="runId"/> fired: a run whose worker sent nothing (event or heartbeat)
    /// for its heartbeat timeout ends as <c>Error("heartbeat timeout")</c>; otherwise the next check is scheduled for the
    /// time still missing.
    /// </summary>
    public RunnerDecision<TRef> HeartbeatCheck(string runId, DateTimeOffset now)
    {
        if (runId != RunId || Status != RunStatus.Running || Request?.HeartbeatTimeout is not { } timeout)
            return Decide(null);
        var silentFor = now - _lastHeartbeatAt;
        if (silentFor >= timeout) EndRun(RunStatus.Error, HeartbeatTimedOut, null, now, startNext: true);
        else Add(new RunnerEffect<TRef>.ScheduleHeartbeatCheck(runId, timeout - silentFor));
        return Decide(null);
    }

    /// <summary>A watched actor died (process crash, node loss). As a subscriber it is dropped; as an executor its
    /// active run ends as <c>Error("executor lost")</c> and its queued runs are withdrawn. One actor may be both.</summary>
    public RunnerDecision<TRef> Terminated(TRef executor, DateTimeOffset now)
    {
        const string lost = "executor lost";
        _subscribers?.Remove(executor);
        for (var i = QueueLength - 1; i >= 0; i--)
        {
            if (Equals(_queue![i].Executor, executor))
                Withdraw(i, RunStatus.Error, lost, lost, now);
        }
        // An executor recovered from the journal that dies before it is heard from again did not survive the restart.
        if (Status == RunStatus.Running && Executor is not null && Equals(Executor, executor))
            EndRun(RunStatus.Error, _executorRecovered ? LostOnRestart : lost, null, now, startNext: true);
        return Decide(null);
    }

    /// <summary>The deadline of run <paramref name="runId"/> passed: request cancellation and give the executor
    /// <see cref="RunnerSettings.DeadlineGrace"/> to finalize.</summary>
    public RunnerDecision<TRef> DeadlinePassed(string runId, DateTimeOffset now)
    {
        if (runId != RunId || Status != RunStatus.Running)
            return Decide(null);
        RequestCancel("deadline exceeded", CancelSources.Deadline, now);
        Add(new RunnerEffect<TRef>.ScheduleGrace(runId, _settings.DeadlineGrace));
        return Decide(null);
    }

    /// <summary>The grace after run <paramref name="runId"/>'s deadline expired: it ends as <c>Error("deadline exceeded")</c>.</summary>
    public RunnerDecision<TRef> GraceExpired(string runId, DateTimeOffset now)
    {
        if (runId == RunId && Status == RunStatus.Running)
            EndRun(RunStatus.Error, "deadline exceeded", null, now, startNext: true);
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
        for (var i = QueueLength - 1; i >= 0; i--)
            Withdraw(i, RunStatus.Cancelled, null, reason, now);
        if (Status == RunStatus.Running) RequestCancel(reason, CancelSources.Shutdown, now);
        return Decide(null);
    }

    /// <summary>
    /// <paramref name="subscriber"/> receives the session's events from now on, after a replay (see
    /// <see cref="Replay"/>): replay and subscription are one step, so live events follow without gap or duplicate.
    /// </summary>
    public RunnerDecision<TRef> Subscribe(TRef subscriber, long? afterSequence)
    {
        var reply = new Subscribed(SessionId, LastSequence, _durable);
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
        for (var i = QueueLength - 1; i >= 0; i--)
            Withdraw(i, RunStatus.Error, reason, reason, now);
        if (Status == RunStatus.Running)
        {
            if (Executor is not null) Add(new RunnerEffect<TRef>.SignalCancel(Executor, RunId!, reason));
            EndRun(RunStatus.Error, reason, null, now, startNext: false);
        }
        return Decide(null);
    }

    /// <summary>
    /// Events to send a new subscriber, in ascending sequence order. Without a cursor: the latest budget event and the
    /// last critical events. With <paramref name="afterSequence"/>: every retained event after it, preceded by a
    /// <see cref="ReplayGap"/> when some were evicted. A cursor at or beyond <see cref="LastSequence"/> has nothing to
    /// replay.
    /// </summary>
    public IReadOnlyList<AgentEvent> Replay(long? afterSequence) => _log.Replay(afterSequence, SessionId, RunId);

    /// <summary>The session's diagnostics.</summary>
    public RunnerSnapshot Snapshot() => new(
        SessionId, Status, RunId, StartedAt, CompletedAt, Error, LastEventAt, RoundCount, LastToolName, LastToolPhase,
        CancelRequested, QueueLength, SubscriberCount, LastSequence, Status == RunStatus.Running ? DeadlineAt : null);

    private Reserved StartRun(string runId, TRef? executor, TRef? reserver, TimeSpan? deadline, RunRequest request, DateTimeOffset now)
    {
        if (executor is not null && !IsWatched(executor)) Add(new RunnerEffect<TRef>.Watch(executor));
        var limit = deadline ?? _settings.DefaultDeadline;
        var sequence = NextSequence();
        // A state that records no facts applies the change directly: memory mode builds no fact it would throw away.
        var started = _recordsFacts ? Record(new RunnerFact<TRef>.RunStarted(runId, now, now + limit, executor, request, sequence, reserver))
            : Retain(StartedRun(runId, now, now + limit, executor, request, sequence));
        _lastHeartbeatAt = now;
        Add(new RunnerEffect<TRef>.ScheduleDeadline(runId, limit));
        if (request.HeartbeatTimeout is { } heartbeat) Add(new RunnerEffect<TRef>.ScheduleHeartbeatCheck(runId, heartbeat));
        var reserved = new Reserved(SessionId, runId, now);
        if (reserver is not null) Add(new RunnerEffect<TRef>.Notify(reserver, reserved));
        Emit(started);
        return reserved;
    }

    private void RequestCancel(string reason, string by, DateTimeOffset now)
    {
        if (CancelRequested) return;
        var sequence = NextSequence();
        Emit(Record(new RunnerFact<TRef>.CancelRequested(RunId!, reason, by, sequence, now)));
        if (Executor is not null) Add(new RunnerEffect<TRef>.SignalCancel(Executor, RunId!, reason));
    }

    private void EndRun(RunStatus status, string? error, string? output, DateTimeOffset now, bool startNext)
    {
        var executor = Executor;
        var sequence = NextSequence();
        var finished = _recordsFacts
            ? Record(new RunnerFact<TRef>.RunEnded(RunId!, status, error, now, RoundCount, LastToolName, LastToolPhase, output, sequence))
            : Retain(EndedRun(RunId!, status, error, now, RoundCount, LastToolName, LastToolPhase, output, sequence));
        Add(CancelTimersEffect);
        if (executor is not null && !IsWatched(executor)) Add(new RunnerEffect<TRef>.Unwatch(executor));
        Emit(finished);

        if (!startNext || QueueLength == 0) return;
        var next = _queue![0];
        StartRun(next.RunId, next.Executor, next.Reserver, next.Deadline, next.Request ?? new RunRequest(now, ConflictPolicy.Enqueue), now);
    }

    private void Withdraw(int index, RunStatus status, string? error, string reason, DateTimeOffset now)
    {
        var queued = _queue![index];
        var sequence = NextSequence();
        var finished = Record(new RunnerFact<TRef>.QueuedRunWithdrawn(queued.RunId, status, error, sequence, now));
        if (queued.Executor is not null && !IsWatched(queued.Executor)) Add(new RunnerEffect<TRef>.Unwatch(queued.Executor));
        if (queued.Reserver is not null) Add(new RunnerEffect<TRef>.Notify(queued.Reserver, new Rejected(SessionId, reason, queued.RunId)));
        Emit(finished);
    }

    /// <summary>The next event sequence. A durable state reserves sequences in blocks (a fact), so numbering resumes
    /// above every sequence it may have used after a restart.</summary>
    private long NextSequence()
    {
        var sequence = _log.Next();
        if (_durable && sequence > _log.ReservedSequence)
            Record(new RunnerFact<TRef>.SequencesReserved(sequence + SequenceBlock - 1));
        return sequence;
    }

    /// <summary>Publishes an event the state just stamped or derived.</summary>
    private void Emit(AgentEvent? stamped)
    {
        if (stamped is not null) Add(new RunnerEffect<TRef>.Emit(stamped));
    }

    /// <summary>Whether <paramref name="actor"/> has a role that keeps it watched: executor of the active or a queued
    /// run, or subscriber. It is watched while it has one, and unwatched when it loses its last.</summary>
    private bool IsWatched(TRef actor) => IsExecutor(actor) || _subscribers?.Contains(actor) == true;

    /// <summary>Whether <paramref name="executor"/> is the executor of the active run or of a queued run.</summary>
    public bool IsExecutor(TRef executor)
    {
        if (Status == RunStatus.Running && Equals(Executor, executor)) return true;
        if (_queue is null) return false;
        foreach (var queued in _queue)
        {
            if (Equals(queued.Executor, executor)) return true;
        }
        return false;
    }

    private void Add(RunnerEffect<TRef> effect)
    {
        if (_effects is not null) _effects.Add(effect);
        else if (_effect is null) _effect = effect;
        else
        {
            _effects = [_effect, effect];
            _effect = null;
        }
    }

    private RunnerDecision<TRef> Decide(IRunnerReply? reply)
    {
        if (_drainWaiters is not null && !HasRuns)
        {
            foreach (var waiter in _drainWaiters) Add(new RunnerEffect<TRef>.Drained(waiter));
            _drainWaiters = null;
        }
        IReadOnlyList<RunnerEffect<TRef>> effects = _effects is not null ? _effects
            : _effect is { } only ? new[] { only }
            : Array.Empty<RunnerEffect<TRef>>();
        var facts = (IReadOnlyList<RunnerFact<TRef>>?)_facts ?? [];
        _effect = null;
        _effects = null;
        _facts = null;
        return new RunnerDecision<TRef>(reply, effects, facts);
    }

    /// <summary>
    /// Changes state through <paramref name="fact"/> (so replaying the recorded facts rebuilds the same state) and
    /// returns the event it derives, if any. A durable state records the fact for its host, after any executors'
    /// events still unrecorded, so the journal keeps the order in which events were published.
    /// </summary>
    private AgentEvent? Record(RunnerFact<TRef> fact)
    {
        if (_recordsFacts)
        {
            if (UnrecordedEvents > 0 && fact is not RunnerFact<TRef>.EventsRecorded) RecordUnrecorded();
            (_facts ??= []).Add(fact);
        }
        return Derive(fact);
    }

    private void RecordUnrecorded()
    {
        var events = _unrecorded!;
        _unrecorded = null;
        Record(new RunnerFact<TRef>.EventsRecorded(events));
    }

    private static readonly RunnerEffect<TRef>.CancelTimers CancelTimersEffect = new();

    private static string NewRunId() => RunIds.NewV4();
}
