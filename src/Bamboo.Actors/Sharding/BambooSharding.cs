using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
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
    /// <item>hand-off (rebalance, graceful leave) stops a runner with <see cref="SessionRunner.Stop"/>, so a run it still
    /// had is ended and its executor told, never silently dropped;</item>
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
        var plugins = BambooPersistence.Plugins(persistence ?? new BambooPersistenceOptions { Mode = BambooPersistenceMode.None });
        return new ShardOptions
        {
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

    /// <summary>The entity props factory for the shard region: one <see cref="SessionRunner"/> per entity id.</summary>
    public static Func<string, Props> EntityProps(RunnerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var entitySettings = settings with { Sharded = true };
        return entityId => SessionRunner.PropsForEntity(entityId, entitySettings);
    }
}
