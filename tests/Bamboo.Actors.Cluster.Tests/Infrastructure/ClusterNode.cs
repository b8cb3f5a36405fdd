using Akka.Actor;
using Akka.Hosting;
using Akka.Remote;
using Akka.Remote.Transport;
using Bamboo.Actors.Client;
using Bamboo.Actors.Hosting;
using Bamboo.Actors.Runners;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Bamboo.Actors.Cluster.Tests.Infrastructure;

/// <summary>
/// One cluster member, hosted the way a service hosts it: <c>AddAkka(... WithBambooCluster(...).WithBambooRunners(o =>
/// o.Sharded = true))</c> plus <c>AddBambooRunnerClient()</c>, on 127.0.0.1 with a free port.
/// </summary>
public sealed class ClusterNode : IAsyncDisposable
{
    /// <summary>Every member of a cluster has the same ActorSystem name.</summary>
    public const string SystemName = "bamboo";

    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private ClusterNode(string name, IHost host)
    {
        Name = name;
        Host = host;
        System = host.Services.GetRequiredService<ActorSystem>();
        Client = host.Services.GetRequiredService<IRunnerClient>();
        Runners = host.Services.GetRequiredService<IRequiredActor<RunnerSupervisor>>().ActorRef;
        Address = Akka.Cluster.Cluster.Get(System).SelfAddress;
    }

    /// <summary>The node's name in test output (<c>node-1</c> is the first, and so the oldest).</summary>
    public string Name { get; }

    /// <summary>The generic host running the node.</summary>
    public IHost Host { get; }

    /// <summary>The node's ActorSystem.</summary>
    public ActorSystem System { get; }

    /// <summary>The <see cref="IRunnerClient"/> from the node's container.</summary>
    public IRunnerClient Client { get; }

    /// <summary>The node's <see cref="RunnerSupervisor"/> (forwards to the shard region).</summary>
    public IActorRef Runners { get; }

    /// <summary>The node's cluster address.</summary>
    public Address Address { get; }

    /// <summary>The node's view of the cluster.</summary>
    public Akka.Cluster.Cluster Cluster => Akka.Cluster.Cluster.Get(System);

    /// <summary>Whether the node's ActorSystem has terminated.</summary>
    public bool IsTerminated => System.WhenTerminated.IsCompleted;

    /// <summary>Starts a node that joins <paramref name="seeds"/>; with none, it joins itself and so forms the cluster.</summary>
    public static async Task<ClusterNode> StartAsync(string name, IReadOnlyList<Address> seeds, ClusterProfile profile)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ApplicationName = name,
        });
        builder.Services.AddAkka(SystemName, (akka, _) => akka
            .AddHocon(profile.Hocon(), HoconAddMode.Prepend)
            .WithBambooCluster(new BambooClusterOptions
            {
                Enabled = true,
                Hostname = "127.0.0.1",
                Port = 0,
                Seeds = [.. seeds.Select(seed => seed.ToString())],
                StableAfter = profile.StableAfter,
                AcceptableHeartbeatPause = profile.HeartbeatPause,
            })
            .WithBambooRunners(options =>
            {
                options.Sharded = true;
                // In-memory sessions unless the profile says otherwise (durable cluster specs share one database).
                options.Persistence.Mode = BambooPersistenceMode.None;
                options.VolatileSessions = true;
                profile.Runners?.Invoke(options);
            }));
        builder.Services.AddBambooRunnerClient();
        var host = builder.Build();
        await host.StartAsync();
        var node = new ClusterNode(name, host);
        if (seeds.Count == 0) node.Cluster.Join(node.Address);
        return node;
    }

    /// <summary>
    /// Crashes the node as far as the others can tell: all traffic between it and <paramref name="peers"/> is dropped,
    /// in both directions, from now on. Nothing it does afterwards (stopping actors, leaving) reaches them; they notice
    /// missing heartbeats, mark it unreachable, and their Split Brain Resolver downs it. The node itself, alone in its
    /// minority, downs itself and terminates.
    /// </summary>
    public async Task CrashAsync(IEnumerable<Address> peers)
    {
        var transport = ((IRemoteActorRefProvider)((ExtendedActorSystem)System).Provider).Transport;
        foreach (var peer in peers)
        {
            var done = await transport.ManagementCommand(new SetThrottle(peer, ThrottleTransportAdapter.Direction.Both, Blackhole.Instance))
                .WaitAsync(TimeSpan.FromSeconds(10));
            if (!done) throw new InvalidOperationException($"{Name}: the transport refused to blackhole {peer}.");
        }
    }

    /// <summary>Leaves the cluster gracefully (coordinated shutdown: shards handed off, member removed) and stops.</summary>
    public Task LeaveAsync() => Host.StopAsync(new CancellationTokenSource(StopTimeout).Token);

    /// <summary>Stops the node (gracefully if it is still a member) and releases the host.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await LeaveAsync();
            await System.WhenTerminated.WaitAsync(StopTimeout);
        }
        catch (Exception exception) when (exception is OperationCanceledException or TimeoutException)
        {
            // A node that cannot leave in time (its peers are gone) is terminated with the host.
        }
        finally
        {
            Host.Dispose();
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Address})";
}
