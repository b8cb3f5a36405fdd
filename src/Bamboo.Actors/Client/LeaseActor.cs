using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.ExecutorSignals;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Client;

/// <summary>
/// The executor actor behind a <see cref="RunLease"/>, and the owner of the lease's state: it sends the reservation (so
/// the session answers it, now and later for a queued run), is watched by the session runner, and decides every
/// transition — reserve, finalize, cancel, dispose arrive here as messages, a publish is sent on its behalf (it receives
/// the answers) — and everything the lease shows (its view, <see cref="RunLease.WhenStarted"/>, <see cref="RunLease.Result"/>,
/// its token) is written from here only.
/// </summary>
/// <remarks>
/// <para>Phases: <c>Reserving → Active | Queued | refused</c>; <c>Queued → Active | refused</c> (and
/// <c>Withdrawing</c> while a disposed queued lease waits for its withdrawal); <c>Active → Finalizing → Done</c>. The actor
/// stops itself once the lease has its result: nothing it could still receive would change it.</para>
/// <para>It watches the session runner that answered when that runner lives on another node. A runner that stops there
/// may have taken the run with it (an in-memory session; its node crashed) or not (a durable session's next incarnation
/// recovers the run and watches this actor again): the actor asks the session, through the supervisor, whether the run
/// is still its run, and fires the token only if it is not. No configuration is read: the session says. A runner in
/// this process needs no watching: one that drops a run signals <see cref="CancelRun"/> as it stops.</para>
/// <para>Every command goes to the supervisor, never to the runner's reference directly (a publish too, sent by the
/// lease handle with this actor as its sender, so that it keeps its order with its caller's other calls): a runner that
/// stops (hand-off, journal failure) loses whatever reaches it afterwards, while the supervisor (or shard region)
/// buffers commands for the session's next incarnation.</para>
/// <para>Replies carry no request id, so they are told apart by what the lease has outstanding: only the reservation
/// before it is granted, only the finalize once it is sent. An <see cref="Unavailable"/> or <see cref="StaleRun"/> that
/// may answer an earlier publish or cancel is never taken for the finalize's answer. The finalize is sent again — it is
/// idempotent by run id, and the first answer wins — when its answer timeout passes, or at once when a remote runner
/// stops; never at once on an <see cref="Unavailable"/>, which a leaving runner sends before it hands on the commands
/// that waited behind its failed write.</para>
/// </remarks>
internal sealed class LeaseActor : UntypedActor
{
    /// <summary>Why the token fires when the session no longer knows the run after its runner stopped.</summary>
    public const string RunnerLost = "session runner lost";

    /// <summary>Why the token fires (and a queued lease is refused) when this actor stops before the lease ended.</summary>
    public const string ExecutorStopped = "executor stopped";

    /// <summary>Finalize attempts before the lease gives up: the first, and one more when the answer timeout passes
    /// without an answer.</summary>
    private const int FinalizeAttempts = 2;

    /// <summary>Questions to the session after its runner stopped, each waiting one answer timeout.</summary>
    private const int ProbeAttempts = 3;

    private readonly RunLease _lease;
    private readonly IActorRef _supervisor;
    private readonly Reserve _reserve;
    private readonly long _answerTimeout;
    private Phase _phase = Phase.Reserving;
    private string? _runId;
    private IActorRef? _runner;
    private Finalize? _finalize;
    private string? _unrecorded;
    private bool _disposing;
    private int _attempts;
    private int _probes;

    public LeaseActor(RunLease lease, IActorRef supervisor, Reserve reserve, TimeSpan answerTimeout)
    {
        _lease = lease;
        _supervisor = supervisor;
        _reserve = reserve;
        _answerTimeout = (long)(answerTimeout.TotalSeconds * Stopwatch.Frequency);
    }

    public static Props Props(RunLease lease, IActorRef supervisor, Reserve reserve, TimeSpan answerTimeout) =>
        Akka.Actor.Props.CreateBy(new Producer(lease, supervisor, reserve, answerTimeout));

    /// <summary>Sent by <see cref="RunLease.DisposeAsync"/>: end whatever the lease still holds, then stop.</summary>
    public sealed class Dispose : IDeadLetterSuppression
    {
        public static Dispose Instance { get; } = new();

        private Dispose()
        {
        }
    }

    /// <summary>
    /// Sent by the client's sweep (<see cref="RunnerClient"/>) when <see cref="RunLease.AnswerDue"/> has passed: no
    /// answer came in time to what this actor is waiting for. A sweep over the client's leases replaces a scheduler
    /// registration per request, which every reservation and every finalize would otherwise pay.
    /// </summary>
    public sealed class AnswerOverdue : IDeadLetterSuppression
    {
        public static AnswerOverdue Instance { get; } = new();

        private AnswerOverdue()
        {
        }
    }

    private enum Phase
    {
        Reserving,
        Queued,
        Withdrawing,
        Active,
        Finalizing,
        Done,
    }

    protected override void PreStart()
    {
        _supervisor.Tell(_reserve with { Executor = Self }, Self);
        StartTimer();
    }

    // An UntypedActor with one switch per phase rather than a ReceiveActor: one lease per run, so its handler tables
    // (a delegate, a typed wrapper and a capture per Receive) would be paid by every run.
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case AnswerOverdue:
                if (_lease.AnswerDue is var due && due != 0 && Stopwatch.GetTimestamp() >= due) TimedOut();
                return;
            case Terminated terminated:
                if (terminated.ActorRef.Equals(_runner)) RunnerStopped();
                return;
        }
        switch (_phase)
        {
            case Phase.Reserving:
                Reserving(message);
                break;
            case Phase.Queued:
            case Phase.Withdrawing:
                Queued(message);
                break;
            case Phase.Active:
                Active(message);
                break;
            case Phase.Finalizing:
                Finalizing(message);
                break;
        }
    }

    private void Reserving(object message)
    {
        switch (message)
        {
            // A retry of a start made with the same idempotency key: the run is that start's, and this lease holds nothing.
            case Reserved { Replayed: true } replayed:
                Duplicate(replayed.RunId, null);
                break;
            case Queued { Replayed: true } replayed:
                Duplicate(replayed.RunId, replayed.Position);
                break;
            case Reserved reserved:
                WatchRunner();
                Start(reserved);
                break;
            case Queued queued:
                WatchRunner();
                StopTimer();
                _runId = queued.RunId;
                _phase = Phase.Queued;
                _lease.Answered(queued.RunId, queued.Position);
                break;
            case AlreadyRunning refused:
                Refuse(LeaseStatus.AlreadyRunning, refused.RunId, "already_running");
                break;
            case Rejected refused:
                Refuse(LeaseStatus.Rejected, refused.RunId, refused.Reason);
                break;
            case InvalidCommand invalid:
                Refuse(LeaseStatus.Invalid, null, invalid.Reason);
                break;
            // Not recorded (the journal is unavailable): there is no run.
            case Unavailable unavailable:
                Refuse(LeaseStatus.Unavailable, null, unavailable.Reason);
                break;
        }
    }

    private void Queued(object message)
    {
        switch (message)
        {
            case Reserved reserved when reserved.RunId == _runId:
                _runner ??= WatchRunner();
                Start(reserved);
                // Disposed while queued, and the run started before the withdrawal arrived: end it at once.
                if (_disposing) SendFinalize(_lease.RequestOutcome(RunOutcome.Cancelled));
                break;
            case Rejected rejected when rejected.RunId is null || rejected.RunId == _runId:
                Refuse(LeaseStatus.Rejected, _runId, rejected.Reason);
                break;
            // Answers to the withdrawal: the queued run is gone (CancelRequested), or no longer queued nor active.
            case CancelRequested or StaleRun when _phase == Phase.Withdrawing:
                Refuse(LeaseStatus.Rejected, _runId, "cancelled");
                break;
            case Cancel cancel:
                _supervisor.Tell(cancel, Self);
                break;
            case Dispose when _phase == Phase.Queued:
                _disposing = true;
                _phase = Phase.Withdrawing;
                _supervisor.Tell(new Cancel(_lease.SessionId, _runId, "lease disposed"), Self);
                StartTimer();
                break;
            case RunnerSnapshot snapshot:
                Probed(snapshot);
                break;
        }
    }

    private void Active(object message)
    {
        switch (message)
        {
            case Finalize finalize:
                SendFinalize(finalize.Outcome, finalize.Output);
                break;
            case Dispose:
                _disposing = true;
                SendFinalize(_lease.RequestOutcome(_lease.CancellationRequested ? RunOutcome.Cancelled : RunOutcome.Failed(RunLease.DisposedWithoutOutcome)));
                break;
            case Cancel cancel:
                _supervisor.Tell(cancel, Self);
                break;
            case CancelRun cancel when cancel.RunId == _runId:
                _lease.Cancel(cancel.Reason);
                break;
            // A publish or cancel was fenced: the run is no longer this lease's.
            case StaleRun stale when stale.RunId == _runId:
                _lease.Cancel(stale.CurrentRunId is null || stale.CurrentRunId == _runId ? "fenced" : $"fenced: superseded by run {stale.CurrentRunId}");
                break;
            case RunnerSnapshot snapshot:
                Probed(snapshot);
                break;
            // Unavailable: a publish whose write failed (the run goes on; that event is lost). CancelRequested,
            // NothingToCancel: answers to a cancel, which arrives as CancelRun.
        }
    }

    private void Finalizing(object message)
    {
        switch (message)
        {
            case Finalized finalized when finalized.RunId == _runId:
                End(new RunResult(_lease.SessionId, _runId, LeaseStatus.Ended, finalized.Status, finalized.Error));
                break;
            // A lease finalizes once, so an already-final run was ended by the session (deadline, executor loss).
            case AlreadyFinalized already when already.RunId == _runId:
                End(new RunResult(_lease.SessionId, _runId, LeaseStatus.Ended, already.Status, null, Fenced: true));
                break;
            // A StaleRun naming this run as the current one answers a publish or cancel sent before the finalize (the run
            // has ended but is still the session's last): the finalize itself will be answered AlreadyFinalized.
            case StaleRun stale when stale.RunId == _runId && stale.CurrentRunId != _runId:
                End(new RunResult(_lease.SessionId, _runId, LeaseStatus.Ended, null, null, Fenced: true));
                break;
            // The session did not record something: the finalize, or a publish sent before it. Either way its runner
            // leaves, handing what waited behind the write — maybe this finalize, and publishes before it — to its next
            // incarnation, and it told this actor before it handed them on: a finalize sent again now could overtake
            // those publishes. So the finalize is sent again only if no answer comes within the answer timeout.
            case Unavailable unavailable:
                _unrecorded = unavailable.Reason;
                break;
            case CancelRun cancel when cancel.RunId == _runId:
                _lease.Cancel(cancel.Reason);
                break;
        }
    }

    private void Start(Reserved reserved)
    {
        StopTimer();
        _runId = reserved.RunId;
        _phase = Phase.Active;
        _lease.Started(reserved.RunId, reserved.StartedAt);
    }

    private void SendFinalize(RunOutcome outcome, string? output = null)
    {
        _phase = Phase.Finalizing;
        _finalize = new Finalize(_lease.SessionId, _runId!, outcome, output);
        _attempts = 1;
        _supervisor.Tell(_finalize, Self);
        StartTimer();
    }

    private void RetryFinalize()
    {
        if (_attempts >= FinalizeAttempts)
        {
            End(new RunResult(_lease.SessionId, _runId, LeaseStatus.Unavailable, null, _unrecorded ?? RunnerClient.NoAnswer));
            return;
        }
        _attempts++;
        _supervisor.Tell(_finalize!, Self);
        StartTimer();
    }

    private void Refuse(LeaseStatus status, string? runId, string reason)
    {
        StopTimer();
        _phase = Phase.Done;
        _lease.Refused(status, runId ?? _runId, reason);
        // Never granted, or withdrawn: the session no longer watches this actor, and nothing more will arrive.
        Context.Stop(Self);
    }

    private void Duplicate(string runId, int? position)
    {
        StopTimer();
        _phase = Phase.Done;
        _lease.Duplicated(runId, position);
        Context.Stop(Self);
    }

    private void End(RunResult result)
    {
        StopTimer();
        _phase = Phase.Done;
        _lease.Ended(result);
        Context.Stop(Self);
    }

    /// <summary>
    /// Watches the runner that answered when it lives on another node. A runner in this process never drops a run
    /// silently: an in-memory runner that stops signals <see cref="CancelRun"/> to its executor as it goes, a durable one
    /// keeps the run for its next incarnation, and commands reach that incarnation through the supervisor. Only a node
    /// that is lost takes a run without a word, and only a remote runner's termination says so.
    /// </summary>
    private IActorRef? WatchRunner()
    {
        if (_runner is not null || Sender.Path.Address.HasLocalScope) return _runner;
        _runner = Sender;
        Context.Watch(_runner);
        return _runner;
    }

    /// <summary>The session's runner stopped. A finalize outstanding is sent again (it is idempotent by run id); otherwise
    /// the session is asked whether the run is still this lease's.</summary>
    private void RunnerStopped()
    {
        _runner = null;
        switch (_phase)
        {
            // What was in the stopped runner's mailbox is lost, maybe this finalize: it goes again, through the
            // supervisor, behind this lease's publishes (which took that path before it). Not counted as an attempt:
            // each of these follows a runner's death, not a silence.
            case Phase.Finalizing:
                _supervisor.Tell(_finalize!, Self);
                StartTimer();
                break;
            case Phase.Withdrawing:
                _supervisor.Tell(new Cancel(_lease.SessionId, _runId, "lease disposed"), Self);
                StartTimer();
                break;
            case Phase.Active:
            case Phase.Queued:
                _probes = 0;
                Probe();
                break;
        }
    }

    private void Probe()
    {
        _probes++;
        _supervisor.Tell(new GetStatus(_lease.SessionId), Self);
        StartTimer();
    }

    /// <summary>The session's answer after its runner stopped: a durable session's next incarnation still has the run
    /// (running, or still queued); an in-memory session's does not. A queued run that the stopped runner started — its
    /// word to this actor lost with it — is this lease's now, or was and already ended.</summary>
    private void Probed(RunnerSnapshot snapshot)
    {
        if (_probes == 0) return;
        _probes = 0;
        StopTimer();
        if (_phase == Phase.Queued && snapshot.RunId is { } runId && runId == _runId)
        {
            WatchRunner();
            Start(new Reserved(_lease.SessionId, runId, snapshot.StartedAt ?? DateTimeOffset.UtcNow));
            if (snapshot.Status != RunStatus.Running)
                End(new RunResult(_lease.SessionId, _runId, LeaseStatus.Ended, snapshot.Status, snapshot.Error, Fenced: true));
            return;
        }
        var kept = _phase == Phase.Active
            ? snapshot.Status == RunStatus.Running && snapshot.RunId == _runId
            // A queued run is either about to start (it is the run) or still waits: the snapshot only counts the queue.
            : snapshot.RunId == _runId || snapshot.QueueLength > 0;
        if (kept)
        {
            WatchRunner();
            return;
        }
        RunGone();
    }

    private void RunGone()
    {
        if (_phase == Phase.Active) _lease.Cancel(RunnerLost);
        else Refuse(LeaseStatus.Rejected, _runId, RunnerLost);
    }

    private void TimedOut()
    {
        _lease.AnswerDue = 0;
        switch (_phase)
        {
            case Phase.Reserving:
                // Abandoned: should the reservation still be granted, the session sees this actor gone and ends the run.
                Refuse(LeaseStatus.Unavailable, null, RunnerClient.NoAnswer);
                break;
            // Unanswered: the finalize may have been lost in a runner that stopped (finalize is idempotent by run id).
            case Phase.Finalizing:
                RetryFinalize();
                break;
            case Phase.Withdrawing:
                // Stopping this actor withdraws the run anyway: the session sees its executor gone.
                Refuse(LeaseStatus.Rejected, _runId, "cancelled");
                break;
            case Phase.Active:
            case Phase.Queued:
                if (_probes >= ProbeAttempts) RunGone();
                else if (_probes > 0) Probe();
                break;
        }
    }

    /// <summary>An answer is awaited from now: the client's sweep tells this actor once the answer timeout has passed.</summary>
    private void StartTimer() => _lease.AnswerDue = Stopwatch.GetTimestamp() + _answerTimeout;

    private void StopTimer() => _lease.AnswerDue = 0;

    /// <summary>
    /// A failure stops the actor instead of restarting it: a restart would start from nothing and reserve again. It
    /// leaves as if stopped from outside (see <see cref="PostStop"/>), with the state it had.
    /// </summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        try
        {
            return base.AroundReceive(receive, message);
        }
        catch (Exception exception)
        {
            Context.GetLogger().Error(exception, "The lease of session {0} failed on {1} and stops", _lease.SessionId, message.GetType().Name);
            Context.Stop(Self);
            return true;
        }
    }

    protected override void PostStop()
    {
        _lease.AnswerDue = 0;
        // Stopped from outside (the actor system shuts down, or someone stopped it) before the lease had its result.
        switch (_phase)
        {
            case Phase.Reserving:
            case Phase.Queued:
            case Phase.Withdrawing:
                _lease.Refused(LeaseStatus.Rejected, _runId, ExecutorStopped);
                break;
            case Phase.Active:
            case Phase.Finalizing:
                _lease.ExecutorGone(_finalize?.Outcome);
                break;
        }
    }

    /// <summary>Creates the actor without an expression tree to evaluate or a constructor to find: one per run.</summary>
    private sealed class Producer(RunLease lease, IActorRef supervisor, Reserve reserve, TimeSpan answerTimeout) : IIndirectActorProducer
    {
        public Type ActorType => typeof(LeaseActor);

        public ActorBase Produce() => new LeaseActor(lease, supervisor, reserve, answerTimeout);

        public void Release(ActorBase actor)
        {
        }
    }
}
