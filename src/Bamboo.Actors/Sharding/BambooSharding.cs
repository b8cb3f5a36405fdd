using Akka.Actor;
using Akka.Configuration;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Bamboo.Actors.Coordination;
using Bamboo.Actors.Hosting;
using Bamboo.Actors.Routing;
using Bamboo.Actors.Runners;

namespace Bamboo.Actors.Sharding;

/// <summary>
/// How session runners are sharded across a cluster. Every node of a cluster must use the same
/// <see cref="TypeName"/> and the same <see cref="SessionMessageExtractor"/> (with its fixed
/// <see cref="SessionMessageExtractor.ShardCount"/>), or nodes would disagree on which node owns a session.
/// </summary>
public static class BambooSharding
{
    /// <summary>The sharded entity type of session runners (the shard region is <c>/system/sharding/{TypeName}</c>).</summary>
    public const string TypeName = "bamboo-session";

    /// <summary>
    /// Number of shards: <see cref="SessionMessageExtractor.ShardCount"/> (100). It must never change once a cluster has
    /// run, because it decides which shard, and so which node, owns each session.
    /// </summary>
    public const int ShardCount = SessionMessageExtractor.ShardCount;

    /// <summary>
    /// The shard region settings of session runners:
    /// <list type="bullet">
    /// <item>entities only on nodes with <paramref name="role"/> (all nodes when null; others route through a proxy);</item>
    /// <item>hand-off (rebalance, graceful leave) stops a runner with <see cref="SessionRunner.Stop"/>; a durable runner
    /// finishes a write in flight first, so its next incarnation starts only after the last write of this one;</item>
    /// <item>with a SQL journal, each shard runs only while its node holds the shard's lease (<see cref="Lease"/>);</item>
    /// <item>no idle passivation by sharding: a runner passivates itself only when it has no run, no queue and no
    /// subscriber (sharding's own timer would stop runners in the middle of long, quiet runs);</item>
    /// <item>with durable sessions (<paramref name="persistence"/> not <see cref="BambooPersistenceMode.None"/>),
    /// remember-entities on the session journal (event-sourced store): a runner that is in memory — because it has a run,
    /// a queue or a subscriber — is restarted on a surviving node after its node is lost, without waiting for a message,
    /// so its executor is watched and its deadline enforced again. A runner that passivated (idle) is forgotten. Without
    /// durability there is nothing to recover, so nothing is remembered.</item>
    /// </list>
    /// </summary>
    public static ShardOptions ShardOptions(string? role = null, BambooPersistenceOptions? persistence = null)
    {
        persistence ??= new BambooPersistenceOptions { Mode = BambooPersistenceMode.None };
        var plugins = BambooPersistence.ShardingPlugins(persistence);
        return new ShardOptions
        {
            LeaseImplementation = Lease(persistence),
            LeaseRetryInterval = Lease(persistence) is null ? null : LeaseRetryInterval,
            Role = string.IsNullOrWhiteSpace(role) ? null : role,
            RememberEntities = plugins is not null,
            // The ddata store keeps remembered entities in LightningDB; the journal is what durable sessions already have.
            RememberEntitiesStore = plugins is not null ? RememberEntitiesStore.Eventsourced : null,
            JournalPluginId = plugins?.Journal,
            SnapshotPluginId = plugins?.Snapshots,
            HandOffStopMessage = SessionRunner.Stop.Instance,
            ShouldPassivateIdleEntities = false,
        };
    }

    /// <summary>
    /// The lease a shard holds while it runs, on the journal's database: with it, a session runs on one node at a time
    /// even if two clusters formed on one store (a misconfiguration, a partition), because the database lets one holder
    /// have each shard's lease. Null without a SQL journal (in-memory or no durability: nothing to fence).
    /// </summary>
    public static SqlLeaseOptions? Lease(BambooPersistenceOptions persistence) =>
        BambooPersistence.SqlOptions(persistence) is null ? null : new SqlLeaseOptions(persistence);

    /// <summary>
    /// The Split Brain Resolver's strategy where the application chose none: <c>lease-majority</c> on the shards' lease
    /// store when there is one (a side downs the others only while it holds the lease, so two sides can never both
    /// stay up, whatever the partition), else <c>keep-majority</c>. With the lease fencing every shard, a downed node's
    /// shards need not wait out a removal margin as long as <c>stable-after</c> before they start elsewhere.
    /// </summary>
    public static Config SplitBrainDefaults(SqlLeaseOptions? lease) => ConfigurationFactory.ParseString(lease is null
        ? "akka.cluster.split-brain-resolver.active-strategy = keep-majority"
        : $$"""
          akka.cluster.split-brain-resolver {
            active-strategy = lease-majority
            lease-majority.lease-implementation = "{{lease.ConfigPath}}"
          }
          akka.cluster.down-removal-margin = {{LeaseRemovalMargin.TotalMilliseconds}}ms
          """);

    /// <summary>How long sharding waits after a node was downed before it starts the node's shards elsewhere, when the
    /// shards are leased (the lease, not this margin, keeps a cut-off node's entities from running twice).</summary>
    public static readonly TimeSpan LeaseRemovalMargin = TimeSpan.FromSeconds(2);

    /// <summary>Where the shard coordinator's singleton settings are when shards are leased (<see cref="CoordinatorSingleton"/>).</summary>
    public const string CoordinatorSingletonPath = "bamboo.sharding.coordinator-singleton";

    /// <summary>
    /// The shard coordinator's singleton settings when shards are leased: Akka's defaults (<c>akka.cluster.singleton</c>)
    /// plus the shards' lease, so the coordinator runs only on the node that holds the coordinator's lease on the shared
    /// store. The coordinator keeps its state (which shard lives in which region) in the journal under one persistence
    /// id; a second cluster on the same store, such as a restarted first seed that joined itself, would otherwise start
    /// a coordinator of its own on that state, take shards from regions it cannot see, and write it back, and the real
    /// cluster's coordinator, recovering after the clash of writes, would then believe a live region's shard was
    /// elsewhere: that shard never got its lease again anywhere else while the region that held it kept renewing it.
    /// Put in front of Akka's sharding defaults, which hosting adds after the library's.
    /// </summary>
    public static Config CoordinatorSingleton(SqlLeaseOptions lease) => ConfigurationFactory.ParseString($$"""
        akka.cluster.sharding.coordinator-singleton = "{{CoordinatorSingletonPath}}"
        {{CoordinatorSingletonPath}} {
          singleton-name = "singleton"
          role = ""
          hand-over-retry-interval = 1s
          min-number-of-hand-over-retries = 15
          use-lease = "{{lease.ConfigPath}}"
          lease-retry-interval = {{LeaseRetryInterval.TotalMilliseconds}}ms
          consider-app-version = false
        }
        """);

    /// <summary>
    /// <c>akka.cluster.sharding.handoff-timeout</c> as <paramref name="defaults"/> (the library's <c>hocon/cluster.conf</c>)
    /// has it, on its own, to put in front of Akka's sharding defaults (60 s): a rebalance whose shard stopped without
    /// answering (its lease lost in the middle of the hand-off) holds that shard's commands for this long. A timed-out
    /// hand-off leaves the shard where it was, so its lease is never contended by it.
    /// </summary>
    public static Config HandOffTimeout(Config defaults) => ConfigurationFactory.ParseString(
        $"akka.cluster.sharding.handoff-timeout = {defaults.GetTimeSpan("akka.cluster.sharding.handoff-timeout").TotalMilliseconds}ms");

    /// <summary>How soon a shard that could not get its lease (its last holder crashed and the lease has not expired yet)
    /// tries again; Akka's default is 5 s.</summary>
    public static readonly TimeSpan LeaseRetryInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Starts the session shard region with <paramref name="options"/> (as Akka.Hosting's <c>WithShardRegion</c> does:
    /// the options over <c>akka.cluster.sharding</c>), on Akka's default allocation strategy for those settings wrapped in
    /// <see cref="RebalanceAwareAllocationStrategy"/>.
    /// </summary>
    public static Task<IActorRef> StartRegionAsync(ActorSystem system, ShardOptions options, Func<string, Props> entityProps)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(options);
        var config = ConfigurationFactory.ParseString(options.ToString()).WithFallback(system.Settings.Config.GetConfig("akka.cluster.sharding"));
        var singleton = system.Settings.Config.GetConfig(config.GetString("coordinator-singleton"));
        var settings = ClusterShardingSettings.Create(config, singleton);
        var sharding = ClusterSharding.Get(system);
        var strategy = new RebalanceAwareAllocationStrategy(sharding.DefaultShardAllocationStrategy(settings));
        return sharding.StartAsync(TypeName, entityProps, settings, new SessionMessageExtractor(), strategy,
            options.HandOffStopMessage ?? PoisonPill.Instance);
    }

    /// <summary>The entity props factory for the shard region: one <see cref="SessionRunner"/> per entity id.</summary>
    /// <param name="settings">The runners' settings.</param>
    /// <param name="shardLease">The shards' lease (<see cref="Lease"/>), whose loss stops a durable runner before its next write.</param>
    public static Func<string, Props> EntityProps(RunnerSettings settings, SqlLeaseOptions? shardLease = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var entitySettings = settings with { Sharded = true, ShardLease = shardLease?.ConfigPath };
        var floor = new SequenceFloor();
        return entityId => SessionRunner.PropsForEntity(entityId, entitySettings, floor);
    }
}
