using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;

namespace Bamboo.Actors.Sharding;

/// <summary>
/// Akka's allocation strategy, except that a shard the strategy just rebalanced away from a region is not allocated back
/// to that same region: another serving region takes it, so one shard never ends up hosted by two regions at once.
/// </summary>
/// <remarks>
/// <para>A rebalance ends with two <c>ShardStopped</c> for the shard: the hand-off's own answer, which ends the
/// rebalance (the coordinator deallocates the shard and allocates it again at once), and a backup the old region sends
/// the coordinator when its shard actor has terminated. Akka.Cluster.Sharding 1.5.73 acts on the backup when the shard
/// is no longer rebalancing and its current owner is the sender (akkadotnet/akka.net#8146 added the owner check): it
/// "late-deallocates" the shard and allocates it a third time. When the second allocation chose the very region the
/// shard was rebalanced from — the region asked for it again for messages that arrived during the hand-off, and had
/// the fewest shards — the backup looks current, the coordinator deallocates the shard that region has just started
/// again, without telling it, and allocates the shard to another region. Two regions then host the shard: the first
/// keeps its lease, the second retries the lease for ever, and every session of the shard that is routed through the
/// coordinator is unavailable (seen in the model chaos test, a 5-minute run: one shard unplaceable until the end).</para>
/// <para>Allocating the shard elsewhere right after its rebalance makes the backup come from a region that is not the
/// owner, which the coordinator ignores. The avoidance is for the first allocation after the rebalance only, and only
/// while another region is up and reachable; with no other region the shard goes back where it was, as before (then
/// the third allocation goes there too: nothing is hosted twice).</para>
/// </remarks>
public sealed class RebalanceAwareAllocationStrategy : IActorSystemDependentAllocationStrategy
{
    /// <summary>How long a rebalanced shard's former region is avoided if the shard is not allocated again before.</summary>
    internal static readonly TimeSpan Memory = TimeSpan.FromMinutes(2);

    private readonly IShardAllocationStrategy _inner;
    private readonly Func<DateTime> _now;
    private readonly Dictionary<string, (IActorRef Region, DateTime Until)> _rebalancedFrom = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private Cluster? _cluster;

    /// <summary>Wraps <paramref name="inner"/> (Akka's default strategy for the region's settings).</summary>
    public RebalanceAwareAllocationStrategy(IShardAllocationStrategy inner)
        : this(inner, () => DateTime.UtcNow)
    {
    }

    internal RebalanceAwareAllocationStrategy(IShardAllocationStrategy inner, Func<DateTime> now)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        _now = now;
    }

    /// <summary>Where a region is up: its node's member, for a region of this node too.</summary>
    internal Func<IActorRef, bool> IsServing { get; init; } = static _ => true;

    /// <inheritdoc />
    public void Start(ActorSystem system)
    {
        _cluster = Cluster.Get(system);
        switch (_inner)
        {
            case IActorSystemDependentAllocationStrategy dependent:
                dependent.Start(system);
                break;
            case IStartableAllocationStrategy startable:
                startable.Start();
                break;
        }
    }

    /// <summary>The wrapped strategy's choice, unless that is the region the shard was just rebalanced from.</summary>
    public async Task<IActorRef> AllocateShard(IActorRef requester, string shardId, IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations)
    {
        var chosen = await _inner.AllocateShard(requester, shardId, currentShardAllocations).ConfigureAwait(false);
        IActorRef? former;
        lock (_gate)
        {
            former = _rebalancedFrom.Remove(shardId, out var entry) && entry.Until > _now() ? entry.Region : null;
        }
        if (former is null || !chosen.Equals(former)) return chosen;
        var other = currentShardAllocations
            .Where(allocation => !allocation.Key.Equals(former) && Serving(allocation.Key))
            .OrderBy(allocation => allocation.Value.Count)
            .ThenBy(allocation => allocation.Key.Path.ToString(), StringComparer.Ordinal)
            .Select(allocation => allocation.Key)
            .FirstOrDefault();
        return other ?? chosen;
    }

    /// <summary>The wrapped strategy's rebalance, remembering the region each shard leaves.</summary>
    public async Task<IImmutableSet<string>> Rebalance(IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations,
        IImmutableSet<string> rebalanceInProgress)
    {
        var shards = await _inner.Rebalance(currentShardAllocations, rebalanceInProgress).ConfigureAwait(false);
        if (shards.Count == 0) return shards;
        var until = _now() + Memory;
        lock (_gate)
        {
            foreach (var (region, hosted) in currentShardAllocations)
            {
                foreach (var shard in hosted)
                {
                    if (shards.Contains(shard) && !rebalanceInProgress.Contains(shard)) _rebalancedFrom[shard] = (region, until);
                }
            }
            foreach (var stale in _rebalancedFrom.Where(entry => entry.Value.Until <= _now()).Select(entry => entry.Key).ToArray())
                _rebalancedFrom.Remove(stale);
        }
        return shards;
    }

    private bool Serving(IActorRef region)
    {
        if (_cluster is not { } cluster) return IsServing(region);
        var address = region.Path.Address.HasLocalScope ? cluster.SelfAddress : region.Path.Address;
        var state = cluster.State;
        return state.Members.Any(member => member.Address.Equals(address) && member.Status == MemberStatus.Up)
               && !state.Unreachable.Any(member => member.Address.Equals(address));
    }
}
