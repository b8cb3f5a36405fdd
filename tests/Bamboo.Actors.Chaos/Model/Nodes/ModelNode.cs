using Akka.Actor;
using Akka.Hosting;
using Akka.Remote;
using Akka.Remote.Transport;
using Bamboo.Actors.Client;
using Bamboo.Actors.Hosting;
using Bamboo.Actors.Runners;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Bamboo.Actors.Chaos.Model.Nodes;

/// <summary>What a model run's nodes are: a sharded cluster of durable sessions, or one local node (durable or in memory).</summary>
public enum Topology
{
    /// <summary>Three (up to four) cluster members in this process, real remoting on loopback, sharded durable sessions.</summary>
    Cluster,
    /// <summary>One node, local mode (the supervisor's children), durable sessions.</summary>
    Single,
    /// <summary>One node, local mode, sessions in memory.</summary>
    Memory,
}

/// <summary>Where a node is in its life.</summary>
public enum NodeState
{
    Up,
    /// <summary>Leaving gracefully (coordinated shutdown under way).</summary>
    Leaving,
    /// <summary>Crashed: cut off and terminating; nothing it does reaches anyone.</summary>
    Crashed,
    Gone,
}

/// <summary>
/// One node incarnation in this process, hosted the way a service hosts it: <c>AddAkka(... WithBambooCluster(...)
/// .WithBambooRunners(o => o.Sharded = true))</c> plus <c>AddBambooRunnerClient()</c>, with the chaos journal and lease.
/// </summary>
public sealed class ModelNode
{
    public const string SystemName = "bamboo";

    private static readonly TimeSpan StopBound = TimeSpan.FromSeconds(60);

    private ModelNode(int slot, int incarnation, int port, IHost host, NodeContext context, Topology topology)
    {
        Slot = slot;
        Incarnation = incarnation;
        Port = port;
        Host = host;
        Context = context;
        Topology = topology;
        System = host.Services.GetRequiredService<ActorSystem>();
        Client = host.Services.GetRequiredService<IRunnerClient>();
        Runners = host.Services.GetRequiredService<IRequiredActor<RunnerSupervisor>>().ActorRef;
        Address = topology == Topology.Cluster ? Akka.Cluster.Cluster.Get(System).SelfAddress : new Address("akka", SystemName);
    }

    /// <summary>1-based slot: its port, seed position and label stay across incarnations.</summary>
    public int Slot { get; }

    public int Incarnation { get; }

    public int Port { get; }

    public string Label => $"n{Slot}";

    public IHost Host { get; }

    public ActorSystem System { get; }

    public IRunnerClient Client { get; }

    public IActorRef Runners { get; }

    public Address Address { get; }

    public NodeContext Context { get; }

    public Topology Topology { get; }

    public volatile NodeState State = NodeState.Up;

    // When the node went down (crashed or left) as the workload saw it, in ticks of the run clock; -1 while up.
    private long _downAtTicks = -1;
    private volatile string? _downCause;

    /// <summary>Records that the node went down at <paramref name="at"/> (the first call counts).</summary>
    public void MarkDown(TimeSpan at, string cause)
    {
        if (Interlocked.CompareExchange(ref _downAtTicks, at.Ticks, -1) == -1) _downCause = cause;
    }

    /// <summary>When and why the node went down, if it did: what an executor reserved on it meanwhile died of.</summary>
    public (TimeSpan At, string Cause)? Down =>
        Interlocked.Read(ref _downAtTicks) is var ticks and >= 0 ? (TimeSpan.FromTicks(ticks), _downCause ?? "node down") : null;

    /// <summary>Whether the harness may send through this node (up, not leaving or crashed).</summary>
    public bool Usable => State == NodeState.Up && !System.WhenTerminated.IsCompleted;

    public Akka.Cluster.Cluster Cluster => Akka.Cluster.Cluster.Get(System);

    public static async Task<ModelNode> StartAsync(int slot, int incarnation, int port, IReadOnlyList<string> seeds, Topology topology,
        ModelStore? store, ModelProfile profile, NodeContext context)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ApplicationName = context.Key,
        });
        builder.Services.AddAkka(SystemName, (akka, _) =>
        {
            if (topology == Topology.Cluster)
            {
                akka.WithBambooCluster(new BambooClusterOptions
                {
                    Enabled = true,
                    Hostname = "127.0.0.1",
                    Port = port,
                    Seeds = [.. seeds],
                    StableAfter = profile.StableAfter,
                    AcceptableHeartbeatPause = profile.HeartbeatPause,
                });
            }
            akka.WithBambooRunners(options =>
            {
                options.Sharded = topology == Topology.Cluster;
                options.IdleTimeout = profile.IdleTimeout;
                options.DeadlineGrace = profile.DeadlineGrace;
                options.ShutdownGrace = profile.ShutdownGrace;
                options.AskTimeout = profile.AskTimeout;
                if (store is null)
                {
                    options.Persistence.Mode = BambooPersistenceMode.None;
                }
                else
                {
                    options.Persistence.Mode = store.Mode;
                    options.Persistence.ConnectionString = store.ConnectionString;
                }
            });
            // Last and in front: the chaos journal and lease replace the library's classes, the timings are the profile's.
            akka.AddHocon(profile.Hocon(context.Key), HoconAddMode.Prepend);
        });
        builder.Services.AddBambooRunnerClient();
        var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch
        {
            host.Dispose();
            throw;
        }
        var node = new ModelNode(slot, incarnation, port, host, context, topology);
        var config = node.System.Settings.Config;
        context.Log.Note("started; " + string.Join("; ", EffectiveSettings.Select(path => $"{path} = {(config.HasPath(path) ? config.GetString(path) : "(unset)")}")));
        return node;
    }

    /// <summary>Settings worth knowing when reading a node's log.</summary>
    private static readonly string[] EffectiveSettings =
    [
        "akka.cluster.sharding.handoff-timeout",
        "akka.persistence.journal.sql.circuit-breaker.reset-timeout",
        "akka.persistence.journal.sql-sharding.circuit-breaker.reset-timeout",
        "akka.persistence.journal.sql-sharding.circuit-breaker.max-failures",
        "akka.cluster.sharding.remember-entities-store",
        "akka.cluster.split-brain-resolver.active-strategy",
    ];

    /// <summary>
    /// An abrupt crash: the store stops hearing from the node (journal, leases), its traffic to every peer is dropped
    /// in both directions, and its ActorSystem terminates without any shutdown phase. Returns once it is cut off; the
    /// termination goes on in the background (<see cref="Terminated"/>).
    /// </summary>
    public async Task CrashAsync(IEnumerable<Address> peers)
    {
        lock (this) State = NodeState.Crashed;
        Context.Crash();
        if (Topology == Topology.Cluster)
        {
            var transport = ((IRemoteActorRefProvider)((ExtendedActorSystem)System).Provider).Transport;
            foreach (var peer in peers)
            {
                try
                {
                    await transport.ManagementCommand(new SetThrottle(peer, ThrottleTransportAdapter.Direction.Both, Blackhole.Instance))
                        .WaitAsync(TimeSpan.FromSeconds(5));
                }
                catch (Exception exception) when (exception is TimeoutException or InvalidOperationException)
                {
                    Context.Log.Note($"could not blackhole {peer}: {exception.Message}");
                }
            }
        }
        Context.Log.Note("crashed");
        Terminated = TerminateAsync(graceful: false);
    }

    /// <summary>Leaves gracefully: coordinated shutdown (runs drained, shards handed off, member removed), then stops.</summary>
    public Task LeaveAsync()
    {
        lock (this) State = NodeState.Leaving;
        Context.Log.Note("leaving");
        return Terminated = TerminateAsync(graceful: true);
    }

    /// <summary>
    /// The system terminated although the harness neither crashed the node nor made it leave (the cluster downed it):
    /// the host is released, and true is returned once (false when the termination was the harness's own).
    /// </summary>
    public bool TerminatedByItself()
    {
        lock (this)
        {
            if (State != NodeState.Up) return false;
            State = NodeState.Crashed;
        }
        Context.Log.Note("terminated by itself (downed by the cluster)");
        Terminated = TerminateAsync(graceful: false);
        return true;
    }

    /// <summary>Completes once the node's system has terminated and its host is disposed (after a crash or a leave).</summary>
    public Task Terminated { get; private set; } = Task.CompletedTask;

    private async Task TerminateAsync(bool graceful)
    {
        try
        {
            if (graceful)
            {
                using var bound = new CancellationTokenSource(StopBound);
                await Host.StopAsync(bound.Token);
            }
            else
            {
                await System.Terminate();
            }
            await System.WhenTerminated.WaitAsync(StopBound);
        }
        catch (Exception exception) when (exception is OperationCanceledException or TimeoutException)
        {
            Context.Log.Note($"did not terminate within {StopBound.TotalSeconds:0} s; terminating");
            await System.Terminate().WaitAsync(StopBound).ContinueWith(_ => { }, TaskScheduler.Default);
        }
        finally
        {
            try
            {
                using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await Host.StopAsync(bound.Token);
            }
            catch (Exception)
            {
                // The system is gone; the host has nothing left to stop.
            }
            Host.Dispose();
            State = NodeState.Gone;
            Context.Log.Note("terminated");
            Context.Log.Flush();
        }
    }

    public override string ToString() => $"{Label}.{Incarnation} ({Address})";
}
