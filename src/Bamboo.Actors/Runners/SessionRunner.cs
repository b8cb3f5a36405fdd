using Akka.Actor;
using Akka.Event;
using Bamboo.Actors.Routing;

namespace Bamboo.Actors.Runners;

/// <summary>
/// One session's actor, in memory: a thin shell around <see cref="RunnerState{TRef}"/>. It feeds commands, timer ticks
/// and executor deaths to the state and applies the decisions (see <see cref="RunnerShell"/>), and passivates when idle.
/// The same actor is a child of the local <see cref="RunnerSupervisor"/> or an entity of the cluster shard region.
/// With durable settings, <see cref="PropsForEntity"/> creates the event-sourced <see cref="DurableSessionRunner"/> instead.
/// </summary>
public sealed class SessionRunner : UntypedActor
{
    private readonly RunnerShell _shell;
    private readonly SequenceFloor _floor;
    private string _stopReason = "session stopped";

    /// <summary>Creates the in-memory runner of <paramref name="sessionId"/>, numbering its events above
    /// <paramref name="floor"/> (one floor per supervisor: sequences never go backwards while the process lives).</summary>
    public SessionRunner(string sessionId, RunnerSettings settings, SequenceFloor floor)
    {
        _floor = floor;
        var state = new RunnerState<IActorRef>(sessionId, settings, publishFacts: settings.PublishFacts);
        state.NumberAbove(floor.Value);
        _shell = new RunnerShell(Context, state, settings);
    }

    /// <summary>Props for the in-memory runner of <paramref name="sessionId"/>.</summary>
    public static Props Props(string sessionId, RunnerSettings settings, SequenceFloor floor)
    {
        // A producer rather than Props.Create(() => …): no expression tree evaluated per session, and the props every live
        // runner keeps hold its three arguments in one small object instead of an argument array.
        var props = Akka.Actor.Props.CreateBy(new Producer(sessionId, settings, floor));
        return settings.SessionMailbox ? new OnSessionMailbox(props) : props;
    }

    /// <summary>Props naming <see cref="Runners.SessionMailbox"/> through one shared deployment: <c>Props.WithDeploy</c>
    /// would merge a new one into every session's props.</summary>
    private sealed class OnSessionMailbox : Props
    {
        private static readonly Deploy SessionMailboxDeploy = Deploy.None.WithMailbox(Runners.SessionMailbox.ConfigPath);

        public OnSessionMailbox(Props props) : base(props) => Deploy = SessionMailboxDeploy;
    }

    /// <summary>
    /// Props for the entity <paramref name="entityId"/> (see <see cref="SessionIds.ToEntityId"/>): the durable runner when
    /// <see cref="RunnerSettings.Durable"/> is set, else the in-memory one numbering its events above <paramref name="floor"/>.
    /// </summary>
    public static Props PropsForEntity(string entityId, RunnerSettings settings, SequenceFloor floor) => settings.Durable
        ? DurableSessionRunner.Props(entityId, settings)
        : Props(SessionIds.FromEntityId(entityId), settings, floor);

    // An UntypedActor with one switch rather than a ReceiveActor: a ReceiveActor keeps its handlers (a delegate, a
    // typed wrapper and a capture per Receive) in every instance, several hundred bytes per live session.
    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Stop:
                Context.Stop(Self);
                break;
            case RunnerTimers.IdleCheck:
                if (_shell.Passivation.IdleCheckFired(busy: false)) Become(Passivating);
                break;
            case RunnerShell.ForgetSender:
                break;
            default:
                if (_shell.Decide(message) is { } decision) _shell.Apply(decision);
                else Unhandled(message);
                break;
        }
    }

    private void Passivating(object message)
    {
        if (message is Stop) Context.Stop(Self);
        else _shell.Passivation.HandBack(message, Sender);
    }

    /// <inheritdoc />
    protected override void PreStart() => _shell.Started();

    /// <summary>
    /// A failure never restarts a runner in place: a restart would keep its reference but drop its run, its
    /// subscribers and its numbering without a word to anybody. It leaves instead, through the passivation protocol
    /// (commands still on their way go back to the parent for the next incarnation): its run ends as
    /// <c>Error("runner failed: …")</c> with the executor told, its watchers (subscribers, executors) see it go, and the
    /// next incarnation numbers above this one's last sequence.
    /// </summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        try
        {
            return base.AroundReceive(receive, message);
        }
        catch (Exception exception)
        {
            _stopReason = $"runner failed: {exception.Message}";
            Context.GetLogger().Error(exception, "Session {0}: the runner failed on {1} and leaves", _shell.State.SessionId, message.GetType().Name);
            _shell.Passivation.LeaveAfterFailure();
            Become(Passivating);
            return true;
        }
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        _shell.Stopped(abandon: true, _stopReason);
        _floor.Raise(_shell.State.LastSequence);
    }

    private sealed class Producer(string sessionId, RunnerSettings settings, SequenceFloor floor) : IIndirectActorProducer
    {
        public Type ActorType => typeof(SessionRunner);

        public ActorBase Produce() => new SessionRunner(sessionId, settings, floor);

        public void Release(ActorBase actor)
        {
        }
    }

    /// <summary>The message that stops a session runner (passivation and shard hand-off).</summary>
    public sealed class Stop : IEquatable<Stop>
    {
        /// <summary>The single instance.</summary>
        public static Stop Instance { get; } = new();

        private Stop()
        {
        }

        /// <inheritdoc />
        public bool Equals(Stop? other) => other is not null;

        /// <inheritdoc />
        public override bool Equals(object? obj) => obj is Stop;

        /// <inheritdoc />
        public override int GetHashCode() => 0;
    }

    /// <summary>Shutting down: withdraw queued runs, request cancellation of the active one, answer <see cref="Drained"/>
    /// once the session is idle.</summary>
    internal sealed record Drain(string Reason);

    /// <summary>Shutting down and the drain's grace has passed: end what is left as <c>Error(Reason)</c>, telling the
    /// executors, and answer <see cref="Drained"/>.</summary>
    internal sealed record EndRuns(string Reason);

    /// <summary>The session has no active or queued run.</summary>
    internal sealed class Drained
    {
        public static Drained Instance { get; } = new();

        private Drained()
        {
        }
    }
}
