using Akka;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Routing;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Runners;

/// <summary>
/// The single entry point: validates every command, then routes it to the session's <see cref="SessionRunner"/>.
/// Local mode: runners are its children, one per session, created on first message and named by
/// <see cref="SessionMessageExtractor"/>. Sharded mode: it forwards to the shard region, whose entities are the same
/// runners routed by the same extractor. Callers never see the difference.
/// </summary>
public sealed class RunnerSupervisor : ReceiveActor
{
    private readonly IMessageExtractor _extractor = new SessionMessageExtractor();
    private readonly RunnerSettings _settings;
    private readonly IActorRef? _shardRegion;

    // Children that asked to passivate, with the commands that arrived for them since; delivered to a new
    // incarnation once the old one has stopped (what a shard does for its entities).
    private readonly Dictionary<string, List<(object Message, IActorRef Sender)>> _passivating = [];

    /// <summary>Creates the supervisor; use <see cref="Props(RunnerSettings)"/> or <see cref="PropsForShardRegion"/>.</summary>
    public RunnerSupervisor(RunnerSettings settings, IActorRef? shardRegion)
    {
        _settings = settings;
        _shardRegion = shardRegion;

        Receive<IRunnerCommand>(Route);
        Receive<DrainRuns>(HandleDrain);
        Receive<Passivate>(HandlePassivate);
        Receive<Terminated>(HandleTerminated);
        ReceiveAny(message =>
        {
            // Replies and events are never answered, so two misconfigured actors cannot ping-pong errors forever.
            if (message is IRunnerReply or AgentEvent) Unhandled(message);
            else Sender.Tell(new InvalidCommand((message as IWithSessionId)?.SessionId, RunnerCommandValidator.Validate(message)!));
        });
    }

    /// <summary>Local mode: session runners are children of the supervisor.</summary>
    public static Props Props(RunnerSettings settings) =>
        Akka.Actor.Props.Create(() => new RunnerSupervisor(settings, null));

    /// <summary>Sharded mode: commands go to <paramref name="shardRegion"/>, whose entities are session runners.</summary>
    public static Props PropsForShardRegion(IActorRef shardRegion) =>
        Akka.Actor.Props.Create(() => new RunnerSupervisor(RunnerSettings.Default, shardRegion));

    /// <summary>
    /// Ask before shutting down: every local session withdraws its queued runs and requests cancellation of its active
    /// run, then the supervisor answers <see cref="RunsDrained"/> once all are idle or <paramref name="Timeout"/> passed.
    /// <c>WithBambooRunners</c> runs this in CoordinatedShutdown's <c>service-requests-done</c> phase.
    /// </summary>
    public sealed record DrainRuns(string Reason, TimeSpan Timeout);

    /// <summary>Answer to <see cref="DrainRuns"/>: how many sessions were asked and how many still had a run at the timeout.</summary>
    public sealed record RunsDrained(int Sessions, int StillRunning);

    private void Route(IRunnerCommand command)
    {
        if (RunnerCommandValidator.Validate(command) is { } problem)
        {
            Sender.Tell(new InvalidCommand(command.SessionId, problem));
            return;
        }

        if (_shardRegion is not null)
        {
            _shardRegion.Forward(command);
            return;
        }

        var entityId = _extractor.EntityId(command)!;
        if (_passivating.TryGetValue(entityId, out var buffer))
        {
            buffer.Add((command, Sender));
            return;
        }
        ChildFor(entityId).Forward(_extractor.EntityMessage(command));
    }

    /// <summary>
    /// Registers a CoordinatedShutdown task (phase <c>service-requests-done</c>) that drains <paramref name="supervisor"/>'s
    /// runs: queued runs are withdrawn, active runs are asked to cancel and get <paramref name="grace"/> to finalize.
    /// </summary>
    public static void DrainOnShutdown(ActorSystem system, IActorRef supervisor, TimeSpan grace) =>
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceRequestsDone, "bamboo-drain-runs", async () =>
        {
            await supervisor.Ask<RunsDrained>(new DrainRuns("shutting down", grace), grace + TimeSpan.FromSeconds(1));
            return Done.Instance;
        });

    private void HandleDrain(DrainRuns drain)
    {
        // Sharded: this node's entities leave through shard hand-off, and executors on this node are drained by their
        // clients. Local: every session here is a child.
        var sessions = _shardRegion is null
            ? Context.GetChildren().Where(child => !_passivating.ContainsKey(child.Path.Name)).ToList()
            : [];
        var replyTo = Sender;
        var pending = sessions.Select(session => session
            .Ask<SessionRunner.Drained>(new SessionRunner.Drain(drain.Reason), drain.Timeout)
            .ContinueWith(task => task.IsCompletedSuccessfully, TaskScheduler.Default));
        Task.WhenAll(pending)
            .ContinueWith(task => new RunsDrained(sessions.Count, task.Result.Count(idle => !idle)), TaskScheduler.Default)
            .PipeTo(replyTo);
    }

    private IActorRef ChildFor(string entityId)
    {
        var child = Context.Child(entityId);
        if (!child.IsNobody()) return child;
        child = Context.ActorOf(SessionRunner.PropsForEntity(entityId, _settings), entityId);
        Context.Watch(child);
        return child;
    }

    private void HandlePassivate(Passivate passivate)
    {
        var entityId = Sender.Path.Name;
        if (!_passivating.TryAdd(entityId, [])) return;
        Sender.Tell(passivate.StopMessage);
    }

    private void HandleTerminated(Terminated terminated)
    {
        var entityId = terminated.ActorRef.Path.Name;
        if (!_passivating.Remove(entityId, out var buffer) || buffer.Count == 0) return;
        var child = ChildFor(entityId);
        foreach (var (message, sender) in buffer) child.Tell(message, sender);
    }
}
