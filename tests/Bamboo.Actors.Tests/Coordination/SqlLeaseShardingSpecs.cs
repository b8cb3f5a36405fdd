using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Bamboo.Actors.Coordination;
using Bamboo.Actors.Hosting;

namespace Bamboo.Actors.Tests.Coordination;

/// <summary>
/// <see cref="SqlLease"/> under Akka's own user: a one-node cluster whose sharding runs each shard under its lease
/// (<c>use-lease</c>), configured from the deployment's persistence by <see cref="SqlLeaseHocon"/>.
/// </summary>
public sealed class SqlLeaseShardingSpecs : IDisposable
{
    private readonly SqliteLeaseTestDatabase _database = new();

    [Fact]
    public async Task Should_run_a_shard_under_its_lease_owned_by_the_node_and_release_it_when_the_shard_stops()
    {
        var config = ConfigurationFactory.ParseString($"""
                akka.actor.provider = cluster
                akka.remote.dot-netty.tcp {"{"} hostname = 127.0.0.1, port = 0 {"}"}
                akka.cluster.sharding.use-lease = "{SqlLeaseHocon.ConfigPath}"
                akka.loglevel = WARNING
                """)
            .WithFallback(SqlLeaseHocon.FromPersistence(new BambooPersistenceOptions
            {
                Mode = BambooPersistenceMode.Sqlite,
                ConnectionString = _database.ConnectionString,
            }));
        var system = ActorSystem.Create("leased", config);
        try
        {
            var cluster = Cluster.Get(system);
            await cluster.JoinAsync(cluster.SelfAddress).WaitAsync(TimeSpan.FromSeconds(20));
            var region = await ClusterSharding.Get(system).StartAsync(
                "echo", Props.Create(() => new Echo()), ClusterShardingSettings.Create(system), new OneShard());

            Assert.Equal("hello", await region.Ask<string>("hello", TimeSpan.FromSeconds(20)));

            // Sharding names the lease after system, type and shard, and the owner after the node's address.
            Assert.Equal(cluster.SelfAddress.HostPort(), (await _database.ReadAsync("leased-shard-echo-0"))?.Owner);

            await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance);

            var released = await _database.ReadAsync("leased-shard-echo-0");
            Assert.NotNull(released);
            Assert.Null(released.Value.Owner);
        }
        finally
        {
            await system.Terminate();
        }
    }

    public void Dispose() => _database.Dispose();

    private sealed class Echo : ReceiveActor
    {
        public Echo() => ReceiveAny(message => Sender.Tell(message));
    }

    private sealed class OneShard() : HashCodeMessageExtractor(1)
    {
        public override string EntityId(object message) => (string)message;

        public override string ShardId(string entityId, object? messageHint = null) => "0";
    }
}
