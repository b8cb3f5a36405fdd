using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Bamboo.Actors.Cluster.Tests.Infrastructure;
using Bamboo.Actors.Sharding;
using Xunit.Abstractions;

namespace Bamboo.Actors.Cluster.Tests.Scenarios;

/// <summary>
/// A rebalance begun just before a node crashed sends its hand-off to the crashed node's region after the node was
/// removed; a node restarted on the same address receives it for a region of another uid. Unanswered, the coordinator
/// holds the shard for the whole hand-off timeout (60 s); the restarted node's region answers it instead. The messages
/// are the coordinator's own (internal to Akka.Cluster.Sharding): the coordinator side is played by a probe that sends
/// the real <c>HandOff</c> to the region path of an earlier incarnation (another uid) over remoting. Likewise a hand-off
/// that a shard stopped before answering (dead-lettered at the shard) is answered by its region.
/// </summary>
public sealed class StaleHandOffSpecs(SharedClusterFixture fixture, ITestOutputHelper output) : SharedClusterSpec(fixture, output)
{
    private const string CoordinatorMessages = "Akka.Cluster.Sharding.ShardCoordinator+";

    [Fact]
    public void Should_answer_a_hand_off_meant_for_the_previous_incarnation_of_a_nodes_region()
    {
        var (coordinatorNode, restartedNode) = (Cluster[0], Cluster[1]);
        var coordinator = ProbeOn(coordinatorNode);
        const string shard = "stale-hand-off-shard";

        StaleRegion(coordinatorNode, restartedNode).Tell(CoordinatorMessage("HandOff", shard), coordinator.Ref);

        var stopped = coordinator.ExpectMsg<object>(Remote);
        Assert.Equal(CoordinatorMessages + "ShardStopped", stopped.GetType().FullName);
        Assert.Equal(shard, stopped.GetType().GetField("Shard")!.GetValue(stopped));
    }

    [Fact]
    public void Should_leave_other_messages_for_a_previous_incarnation_unanswered()
    {
        var (coordinatorNode, restartedNode) = (Cluster[0], Cluster[2]);
        var coordinator = ProbeOn(coordinatorNode);

        // The current region would acknowledge it, for itself: no use to a coordinator that waits for the old region.
        StaleRegion(coordinatorNode, restartedNode).Tell(CoordinatorMessage("BeginHandOff", "stale-begin-hand-off"), coordinator.Ref);

        coordinator.ExpectNoMsg(TimeSpan.FromSeconds(2));
    }

    [Fact]
    public void Should_recognise_only_hand_offs_for_its_region_path_on_its_own_node()
    {
        var node = Cluster[1];
        var region = ClusterSharding.Get(node.System).ShardRegion(BambooSharding.TypeName);
        var self = Akka.Cluster.Cluster.Get(node.System).SelfAddress;
        var handOff = CoordinatorMessage("HandOff", "s");
        var stale = Resolve(node, new RootActorPath(self) / region.Path.Elements).Path.WithUid(region.Path.Uid + 1);

        Assert.True(StaleHandOffResponder.IsStaleHandOff(handOff, Resolve(node, stale), region, self));
        // The live region itself (a dead letter to it means it stopped), another path, another node, another message.
        Assert.False(StaleHandOffResponder.IsStaleHandOff(handOff, region, region, self));
        Assert.False(StaleHandOffResponder.IsStaleHandOff(handOff, Resolve(node, (stale.Parent / "other").WithUid(7)), region, self));
        var elsewhere = (new RootActorPath(Cluster[2].Address) / region.Path.Elements).WithUid(region.Path.Uid + 1);
        Assert.False(StaleHandOffResponder.IsStaleHandOff(handOff, Resolve(node, elsewhere), region, self));
        Assert.False(StaleHandOffResponder.IsStaleHandOff("HandOff", Resolve(node, stale), region, self));
    }

    [Fact]
    public void Should_answer_a_hand_off_that_a_shard_of_the_node_stopped_before_answering()
    {
        var node = Cluster[2];
        var coordinator = ProbeOn(Cluster[0]);
        var region = ClusterSharding.Get(node.System).ShardRegion(BambooSharding.TypeName);
        const string shard = "stopped-before-answering";
        var handOff = CoordinatorMessage("HandOff", shard);

        // The region passed the hand-off to its shard, which stopped (its remembered sessions did not load in time) with
        // the hand-off stashed: it went to dead letters. The region answers it once the shard is gone.
        var gone = Resolve(node, region.Path / shard);
        node.System.EventStream.Publish(new DeadLetter(handOff, coordinator.Ref, gone));

        var stopped = coordinator.ExpectMsg<object>(Remote);
        Assert.Equal(CoordinatorMessages + "ShardStopped", stopped.GetType().FullName);
        Assert.Equal(shard, stopped.GetType().GetField("Shard")!.GetValue(stopped));
    }

    [Fact]
    public void Should_recognise_only_hand_offs_dead_lettered_at_a_shard_of_its_region()
    {
        var node = Cluster[1];
        var region = ClusterSharding.Get(node.System).ShardRegion(BambooSharding.TypeName);
        var handOff = CoordinatorMessage("HandOff", "s");
        var shard = Resolve(node, region.Path / "s");

        Assert.True(StaleHandOffResponder.IsUnansweredShardHandOff(handOff, shard, region));
        // The region itself, a child of another actor, a shard path on another node, another message.
        Assert.False(StaleHandOffResponder.IsUnansweredShardHandOff(handOff, region, region));
        Assert.False(StaleHandOffResponder.IsUnansweredShardHandOff(handOff, Resolve(node, region.Path.Parent / "other" / "s"), region));
        var remote = new RootActorPath(Cluster[2].Address) / region.Path.Elements / "s";
        Assert.False(StaleHandOffResponder.IsUnansweredShardHandOff(handOff, Resolve(node, remote), region));
        Assert.False(StaleHandOffResponder.IsUnansweredShardHandOff("HandOff", shard, region));
    }

    /// <summary>The region of <paramref name="node"/> as an earlier incarnation had it (same path, another uid), as
    /// <paramref name="from"/> addresses it.</summary>
    private static IActorRef StaleRegion(ClusterNode from, ClusterNode node)
    {
        var region = ClusterSharding.Get(node.System).ShardRegion(BambooSharding.TypeName);
        var path = (new RootActorPath(node.Address) / region.Path.Elements).WithUid(region.Path.Uid + 1);
        return Resolve(from, path);
    }

    private static IActorRef Resolve(ClusterNode node, ActorPath path) =>
        ((ExtendedActorSystem)node.System).Provider.ResolveActorRef(path);

    /// <summary>One of the coordinator's messages about <paramref name="shard"/> (internal types: built by name).</summary>
    private static object CoordinatorMessage(string name, string shard) =>
        Activator.CreateInstance(typeof(ClusterSharding).Assembly.GetType(CoordinatorMessages + name, throwOnError: true)!, shard)!;
}
