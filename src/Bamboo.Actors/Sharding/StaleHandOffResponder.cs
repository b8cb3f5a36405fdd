using Akka.Actor;
using Akka.Event;

namespace Bamboo.Actors.Sharding;

/// <summary>
/// Answers the shard coordinator's hand-offs that nobody would answer — addressed to this node's previous incarnation,
/// or to a shard of this node that stopped before it answered — so a rebalance does not hold its shard for the whole
/// hand-off timeout.
/// </summary>
/// <remarks>
/// <para>A rebalance asks every region to begin the hand-off of a shard, then tells the shard's region to hand it off
/// and waits for <c>ShardStopped</c>. When the shard's node dies after the rebalance began (the coordinator's rebalance
/// tick can come before anyone noticed the crash), Akka.Cluster.Sharding counts that region's termination as its
/// acknowledgement and sends the hand-off to the dead region all the same; it then waits for an answer or a second
/// termination that never comes, until <c>akka.cluster.sharding.handoff-timeout</c> (60 s), and every message for the
/// shard waits with it (akka/akka-core#29034 describes the same wait).</para>
/// <para>A node restarted on its address receives that hand-off: the path of its own region, with the previous
/// incarnation's uid, so Akka drops it as a dead letter. This actor hands it to the current region instead, which does
/// not host the shard and so answers <c>ShardStopped</c> to the coordinator at once — what the dead region would have
/// answered. Only hand-offs addressed to this node's region path with another uid are touched: those can only be meant
/// for a region of a previous incarnation, which is gone.</para>
/// <para>A region hands the coordinator's hand-off on to the shard, which answers once its entities stopped. A shard
/// still loading its remembered entities stashes it, and when that load times out (a store that just came back) the
/// shard stops itself for a restart: the stashed hand-off goes to dead letters, the region counts the stop as the
/// hand-off's end but tells only the coordinator, which ignores that while its rebalance waits — for the hand-off
/// timeout (seen in the model chaos test: 40 s of a session's commands held after a store outage). A hand-off
/// dead-lettered at a shard of this node's region is passed to the region once that shard has terminated: the region
/// no longer has the shard and answers <c>ShardStopped</c> at once, as the shard would have.</para>
/// </remarks>
internal sealed class StaleHandOffResponder : ReceiveActor
{
    /// <summary>The responder's name under <c>/user</c>.</summary>
    public const string Name = "bamboo-stale-hand-off-responder";

    /// <summary>The coordinator's hand-off command (internal to Akka.Cluster.Sharding, so recognised by name).</summary>
    internal const string HandOffTypeName = "Akka.Cluster.Sharding.ShardCoordinator+HandOff";

    private readonly IActorRef _region;
    private readonly Address _self = ((ExtendedActorSystem)Context.System).Provider.DefaultAddress;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    // Hand-offs dead-lettered at a shard of this node, passed to the region once that shard has terminated.
    private readonly Dictionary<IActorRef, List<(object HandOff, IActorRef Sender)>> _waiting = [];

    /// <summary>Creates the responder for <paramref name="region"/>, this node's shard region.</summary>
    public StaleHandOffResponder(IActorRef region)
    {
        _region = region;
        Receive<DeadLetter>(letter =>
        {
            if (IsStaleHandOff(letter.Message, letter.Recipient, _region, _self))
            {
                _log.Info("A hand-off from {0} reached this node's previous incarnation ({1}): passing it to {2}, which answers for it",
                    letter.Sender, letter.Recipient.Path.ToStringWithUid(), _region.Path.ToStringWithUid());
                _region.Tell(letter.Message, letter.Sender);
            }
            else if (IsUnansweredShardHandOff(letter.Message, letter.Recipient, _region))
            {
                // The region learns of the shard's end by a system message sent when it has terminated, and handles it
                // before any message: passed on after that, the hand-off finds the shard gone and is answered.
                if (!_waiting.TryGetValue(letter.Recipient, out var handOffs))
                {
                    _waiting[letter.Recipient] = handOffs = [];
                    Context.Watch(letter.Recipient);
                }
                handOffs.Add((letter.Message, letter.Sender));
            }
        });
        Receive<Terminated>(terminated =>
        {
            if (terminated.ActorRef.Equals(_region))
            {
                Context.Stop(Self);
                return;
            }
            if (!_waiting.Remove(terminated.ActorRef, out var handOffs)) return;
            foreach (var (handOff, sender) in handOffs)
            {
                _log.Info("Shard {0} stopped before it answered the hand-off from {1}: passing it to {2}, which answers for it",
                    terminated.ActorRef.Path.Name, sender, _region.Path);
                _region.Tell(handOff, sender);
            }
        });
    }

    /// <summary>Props of the responder for this node's <paramref name="region"/>.</summary>
    public static Props Props(IActorRef region) => Akka.Actor.Props.Create(() => new StaleHandOffResponder(region));

    /// <summary>
    /// Whether <paramref name="message"/>, undeliverable to <paramref name="recipient"/>, is a coordinator's hand-off meant
    /// for an earlier incarnation of <paramref name="region"/>: the same path on this node (<paramref name="self"/>),
    /// another uid.
    /// </summary>
    internal static bool IsStaleHandOff(object message, IActorRef recipient, IActorRef region, Address self) =>
        message.GetType().FullName == HandOffTypeName
        && recipient.Path.Uid != region.Path.Uid
        && recipient.Path.ToStringWithoutAddress() == region.Path.ToStringWithoutAddress()
        && (recipient.Path.Address.HasLocalScope || recipient.Path.Address.Equals(self));

    /// <summary>
    /// Whether <paramref name="message"/>, undeliverable to <paramref name="recipient"/>, is a coordinator's hand-off that
    /// <paramref name="region"/> passed to one of its shards (a child of the region, on this node) which stopped first.
    /// </summary>
    internal static bool IsUnansweredShardHandOff(object message, IActorRef recipient, IActorRef region) =>
        message.GetType().FullName == HandOffTypeName
        && recipient.Path.Address.HasLocalScope
        && recipient.Path.Parent.ToStringWithoutAddress() == region.Path.ToStringWithoutAddress();

    /// <inheritdoc />
    protected override void PreStart()
    {
        Context.Watch(_region);
        Context.System.EventStream.Subscribe(Self, typeof(DeadLetter));
    }

    /// <inheritdoc />
    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
}
