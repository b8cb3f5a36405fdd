using Akka.Actor;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.ExecutorSignals;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Client;

/// <summary>
/// The executor actor behind a <see cref="RunLease"/>: it sends the reservation (so the session answers it, now and
/// later for a queued run), is watched by the session runner, and turns <see cref="CancelRun"/> and fencing into the
/// lease's cancellation token. With in-memory sessions it watches the session runner in turn: a runner that is gone
/// (its node crashed) took the run with it, so the lease is cancelled rather than left running for a session that no
/// longer knows it. A durable session's run outlives its runner (the next incarnation recovers it and watches this
/// actor again), so then the runner is not watched.
/// </summary>
internal sealed class LeaseActor : ReceiveActor
{
    private const string RunnerLost = "session runner lost";

    private readonly RunLease _lease;
    private IActorRef? _runner;

    private readonly bool _watchRunner;
    private bool _granted;

    public LeaseActor(RunLease lease, IActorRef supervisor, RunnerCommands.Reserve reserve, bool durableSessions)
    {
        _lease = lease;
        _watchRunner = !durableSessions;
        Receive<Reserved>(reserved =>
        {
            WatchRunner();
            _granted = true;
            _lease.OnReserved(reserved);
        });
        Receive<Queued>(queued =>
        {
            WatchRunner();
            _granted = true;
            _lease.OnQueued(queued);
        });
        Receive<Terminated>(t => t.ActorRef.Equals(_runner), _ => _lease.OnRunnerLost(RunnerLost));
        Receive<AlreadyRunning>(r => Refused(LeaseStatus.AlreadyRunning, r.RunId, "already_running"));
        Receive<Rejected>(r => Refused(LeaseStatus.Rejected, r.RunId, r.Reason));
        Receive<InvalidCommand>(r => Refused(LeaseStatus.Invalid, null, r.Reason));
        // Unavailable before the reservation was granted: it was not recorded, so there is no run. Once granted, an
        // Unavailable answers something else this actor sent (a publish whose write failed): the run goes on.
        Receive<Unavailable>(_ => !_granted, u =>
        {
            _lease.OnReservationFailed(new RunnerUnavailableException(u.SessionId, u.Reason));
            Context.Stop(Self);
        });
        Receive<CancelRun>(c => _lease.OnCancel(c.Reason));
        Receive<StaleRun>(s => _lease.OnCancel(s.CurrentRunId is null ? "fenced" : $"fenced: superseded by run {s.CurrentRunId}"));
        ReceiveAny(_ => { });
        supervisor.Tell(reserve with { Executor = Self }, Self);
    }

    public static Props Props(RunLease lease, IActorRef supervisor, RunnerCommands.Reserve reserve, bool durableSessions) =>
        Akka.Actor.Props.Create(() => new LeaseActor(lease, supervisor, reserve, durableSessions));

    private void WatchRunner()
    {
        if (!_watchRunner || _runner is not null || Sender.IsNobody()) return;
        _runner = Sender;
        Context.Watch(_runner);
    }

    private void Refused(LeaseStatus status, string? runId, string reason)
    {
        _lease.OnRefused(status, runId, reason);
        // Never granted: the session does not watch this actor, and nothing more will arrive.
        Context.Stop(Self);
    }

    protected override void PostStop() => _lease.OnExecutorStopped();
}
