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

    // Local mode: live children by entity id. Akka keeps children in an immutable tree whose lookup walks ~log2(n) nodes
    // scattered in memory, paid by every command; this flat index is one hash probe.
    private readonly Dictionary<string, IActorRef> _children = [];

    // In-memory sessions number their events above it, so a session's sequences never go backwards across passivation
    // or failure. Outlives a restart of this actor.
    private readonly SequenceFloor _floor;

    /// <summary>Creates the supervisor; use <see cref="Props(RunnerSettings)"/> or <see cref="PropsForShardRegion"/>.</summary>
    public RunnerSupervisor(RunnerSettings settings, IActorRef? shardRegion) : this(settings, shardRegion, new SequenceFloor())
    {
    }

    private RunnerSupervisor(RunnerSettings settings, IActorRef? shardRegion, SequenceFloor floor)
    {
        _settings = settings;
        _shardRegion = shardRegion;
        _floor = floor;

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

    /// <summary>
    /// Answer to <see cref="DrainRuns"/>: how many sessions were asked, how many still had a run when the grace passed
    /// (those runs were then ended as <c>Error("shutdown")</c>), and how many did not confirm even that.
    /// </summary>
    public sealed record RunsDrained(int Sessions, int StillRunning, int Unconfirmed);

    /// <inheritdoc />
    protected override void PreStart()
    {
        // Akka's scheduler starts on first use, and until its timer loop is running on the thread pool every caller blocks
        // a pool thread waiting for it. Session runners arm an idle timeout as they start, so the first burst of new
        // sessions could block every pool thread at once (and with them the loop that would release them) until the pool
        // grows. Starting it here, once, before any session runner exists, avoids that stall.
        Context.System.Scheduler.Advanced.ScheduleOnce(TimeSpan.Zero, static () => { });
        base.PreStart();
    }

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
    /// runs: queued runs are withdrawn, active runs are asked to cancel and get <paramref name="grace"/> to finalize. A node
    /// the cluster downed, or that never joined, has nothing to drain: its shards are the rest of the cluster's (which may
    /// run these sessions already) and its region has stopped; it leaves at once, so its supervisor starts it again sooner.
    /// </summary>
    public static void DrainOnShutdown(ActorSystem system, IActorRef supervisor, TimeSpan grace)
    {
        var shutdown = CoordinatedShutdown.Get(system);
        shutdown.AddTask(CoordinatedShutdown.PhaseServiceRequestsDone, "bamboo-drain-runs", async () =>
        {
            if (shutdown.ShutdownReason is CoordinatedShutdown.ClusterDowningReason or CoordinatedShutdown.ClusterJoinUnsuccessfulReason)
                return Done.Instance;
            await supervisor.Ask<RunsDrained>(new DrainRuns("shutting down", grace), grace + EndRunsTimeout + TimeSpan.FromSeconds(1));
            return Done.Instance;
        });
    }

    private void HandleDrain(DrainRuns drain)
    {
        // Read on the actor's thread; everything after runs on the returned task.
        var sessions = _shardRegion is null
            ? Task.FromResult<IReadOnlyList<DrainTarget>>(Context.GetChildren()
                .Where(child => !_passivating.ContainsKey(child.Path.Name))
                .Select(child => new DrainTarget((message, wait) => child.Ask<SessionRunner.Drained>(message, wait)))
                .ToList())
            : ShardedSessionsAsync(_shardRegion, drain.Timeout);
        DrainAsync(sessions, drain).PipeTo(Sender);
    }

    /// <summary>Sends a drain message to one session runner and waits for its <see cref="SessionRunner.Drained"/>.</summary>
    private sealed record DrainTarget(Func<object, TimeSpan, Task<SessionRunner.Drained>> Ask);

    /// <summary>
    /// Drains this node's sessions — the supervisor's children, or the entities of the shard region's local shards —
    /// in two steps: each is asked to withdraw its queue and cancel its run, and gets the grace to see it end; what is
    /// still running after the grace ends as <c>Error("shutdown")</c> (recorded, its executor told), so no run is left
    /// <c>running</c> by a node that leaves.
    /// </summary>
    private static async Task<RunsDrained> DrainAsync(Task<IReadOnlyList<DrainTarget>> targets, DrainRuns drain)
    {
        var sessions = await targets.ConfigureAwait(false);
        var drained = await Task.WhenAll(sessions.Select(session => AskDrained(session, new SessionRunner.Drain(drain.Reason), drain.Timeout)))
            .ConfigureAwait(false);
        var left = sessions.Where((_, i) => !drained[i]).ToList();
        var ended = await Task.WhenAll(left.Select(session => AskDrained(session, new SessionRunner.EndRuns(ShutdownError), EndRunsTimeout)))
            .ConfigureAwait(false);
        return new RunsDrained(sessions.Count, left.Count, ended.Count(done => !done));
    }

    /// <summary>Error of a run still active when a node's shutdown grace passed.</summary>
    public const string ShutdownError = "shutdown";

    private static readonly TimeSpan EndRunsTimeout = TimeSpan.FromSeconds(3);

    /// <summary>The entities of this node's shards, reached through the region (an envelope names the entity, so the
    /// drain messages need no session id of their own).</summary>
    private static async Task<IReadOnlyList<DrainTarget>> ShardedSessionsAsync(IActorRef region, TimeSpan timeout)
    {
        var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, timeout).ConfigureAwait(false);
        return state.Shards
            .SelectMany(shard => shard.EntityIds)
            .Select(entityId => new DrainTarget((message, wait) => region.Ask<SessionRunner.Drained>(new ShardingEnvelope(entityId, message), wait)))
            .ToList();
    }

    private static async Task<bool> AskDrained(DrainTarget session, object message, TimeSpan timeout)
    {
        try
        {
            await session.Ask(message, timeout).ConfigureAwait(false);
            return true;
        }
        catch (Exception exception) when (exception is AskTimeoutException or TaskCanceledException)
        {
            return false;
        }
    }

    private IActorRef ChildFor(string entityId)
    {
        if (_children.TryGetValue(entityId, out var known))
        {
            // A child that stopped on its own (not through passivation) is looked up the slow way until its Terminated
            // arrives, exactly as without the index: Akka returns it until its death has reached this supervisor and
            // nothing once it has. Its mailbox closes before that, which is what IsTerminated reads.
#pragma warning disable CS0618 // the recommended Watch/Terminated is also used; this is the synchronous check between the two
            if (known is not IInternalActorRef { IsTerminated: true }) return known;
#pragma warning restore CS0618
            _children.Remove(entityId);
        }
        var child = Context.Child(entityId);
        if (!child.IsNobody()) return child;
        child = Context.ActorOf(SessionRunner.PropsForEntity(entityId, _settings, _floor), entityId);
        Context.Watch(child);
        _children[entityId] = child;
        return child;
    }

    /// <summary>A dictionary never gives back its storage by itself: once most sessions have passivated, release it
    /// (trimming at a quarter of the capacity keeps the cost amortized constant per removal).</summary>
    private static void Shrink<TValue>(Dictionary<string, TValue> map)
    {
        var capacity = map.EnsureCapacity(0);
        if (capacity > 1024 && map.Count < capacity / 4) map.TrimExcess();
    }

    private void HandlePassivate(Passivate passivate)
    {
        var entityId = Sender.Path.Name;
        // A runner that stops right after asking (a durable runner whose journal failed) may have its Terminated handled
        // first — system messages overtake ordinary ones. That request is moot: the next command starts a new runner.
        if (!_children.TryGetValue(entityId, out var current) || !current.Equals(Sender)) return;
        if (!_passivating.TryAdd(entityId, [])) return;
        Sender.Tell(passivate.StopMessage);
    }

    private void HandleTerminated(Terminated terminated)
    {
        var entityId = terminated.ActorRef.Path.Name;
        if (_children.TryGetValue(entityId, out var known) && known.Equals(terminated.ActorRef))
        {
            _children.Remove(entityId);
            Shrink(_children);
        }
        if (!_passivating.Remove(entityId, out var buffer)) return;
        Shrink(_passivating);
        if (buffer.Count == 0) return;
        var child = ChildFor(entityId);
        foreach (var (message, sender) in buffer) child.Tell(message, sender);
    }
}
