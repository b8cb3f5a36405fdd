using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Bamboo.Actors.Coordination;
using Bamboo.Actors.Hosting;

namespace Bamboo.Actors.Tests.Coordination;

/// <summary>
/// A node that formed a cluster of its own while another node of its system renews leases in the same store shuts
/// down as a node that could not join does; leases that only wait to expire (their nodes are gone) or none at all let
/// it stay. One-node clusters on a SQLite lease table; the other node is a loop renewing a lease under another address.
/// </summary>
public sealed class SecondClusterGuardSpecs : IDisposable
{
    private const string SystemName = "guarded";
    private const string OtherNode = SystemName + "@127.0.0.1:1";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly SqliteLeaseTestDatabase _database = new();

    public SecondClusterGuardSpecs() => _database.Prepare();

    [Fact]
    public async Task Should_shut_a_sole_member_down_while_another_node_of_its_system_renews_a_lease_in_the_store()
    {
        var store = _database.CreateStore(_database.ConnectionString, TimeSpan.FromSeconds(5));
        var version = await store.TryAcquireAsync($"{SystemName}-shard-bamboo-session-3", OtherNode, TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.NotNull(version);
        using var stop = new CancellationTokenSource();
        var renewing = RenewAsync(store, $"{SystemName}-shard-bamboo-session-3", version.Value, stop.Token);

        var (system, _) = await StartAloneAsync();
        try
        {
            await system.WhenTerminated.WaitAsync(Bound);
            Assert.Same(CoordinatedShutdown.ClusterJoinUnsuccessfulReason.Instance, CoordinatedShutdown.Get(system).ShutdownReason);
        }
        finally
        {
            await stop.CancelAsync();
            await renewing;
            await system.Terminate();
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Should_keep_a_sole_member_when_no_other_node_renews_a_lease(bool staleLease)
    {
        var store = _database.CreateStore(_database.ConnectionString, TimeSpan.FromSeconds(5));
        // A node that is gone: its lease is unexpired for a minute, and nobody renews it. And a lease of another system.
        if (staleLease) Assert.NotNull(await store.TryAcquireAsync($"{SystemName}-shard-bamboo-session-4", OtherNode, TimeSpan.FromMinutes(1), CancellationToken.None));
        Assert.NotNull(await store.TryAcquireAsync("other-shard-bamboo-session-4", "other@127.0.0.1:1", TimeSpan.FromMinutes(1), CancellationToken.None));

        var (system, guardStopped) = await StartAloneAsync();
        try
        {
            // The guard has looked (and, for the stale lease, watched a renewal round) and stopped by itself.
            await guardStopped.WaitAsync(Bound);
            Assert.False(system.WhenTerminated.IsCompleted);
            Assert.Null(CoordinatedShutdown.Get(system).ShutdownReason);
        }
        finally
        {
            await system.Terminate();
        }
    }

    /// <summary>A one-node cluster (it joins itself) with the guard on the lease table, watching for half a second; the
    /// task completes when the guard has stopped.</summary>
    private async Task<(ActorSystem System, Task GuardStopped)> StartAloneAsync()
    {
        var config = ConfigurationFactory.ParseString($$"""
                akka.actor.provider = cluster
                akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
                akka.loglevel = WARNING
                akka.coordinated-shutdown.exit-clr = off
                {{SqlLeaseHocon.ConfigPath}} {
                  heartbeat-interval = 200ms
                  lease-operation-timeout = 100ms
                  heartbeat-timeout = 2s
                }
                """)
            .WithFallback(SqlLeaseHocon.FromPersistence(new BambooPersistenceOptions
            {
                Mode = BambooPersistenceMode.Sqlite,
                ConnectionString = _database.ConnectionString,
            }));
        var system = ActorSystem.Create(SystemName, config);
        var guard = system.ActorOf(SecondClusterGuard.Props(system, SqlLeaseHocon.ConfigPath), SecondClusterGuard.Name);
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        system.ActorOf(Props.Create(() => new Watcher(guard, stopped)));
        var cluster = Cluster.Get(system);
        await cluster.JoinAsync(cluster.SelfAddress).WaitAsync(Bound);
        return (system, stopped.Task);
    }

    private static async Task RenewAsync(ILeaseStore store, string name, long version, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            version = await store.RenewAsync(name, OtherNode, version, TimeSpan.FromSeconds(10), CancellationToken.None)
                      ?? throw new InvalidOperationException("the other node lost its lease");
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public void Dispose() => _database.Dispose();

    private sealed class Watcher : ReceiveActor
    {
        public Watcher(IActorRef watched, TaskCompletionSource stopped)
        {
            Context.Watch(watched);
            Receive<Terminated>(_ => stopped.TrySetResult());
        }
    }
}
