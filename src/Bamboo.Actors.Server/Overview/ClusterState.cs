using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Bamboo.Actors.Sharding;

namespace Bamboo.Actors.Server.Overview;

/// <summary>
/// The cluster part of the overview: members from Akka.Cluster's state (local, no messages), sessions per member from
/// the session shard region's <see cref="GetClusterShardingStats"/> (one message to every region). The statistics are
/// kept for <see cref="CacheFor"/> and one question is outstanding at a time, so a console polling the overview cannot
/// load the cluster.
/// </summary>
internal sealed class ClusterState
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan StatsTimeout = TimeSpan.FromSeconds(2);

    private readonly ActorSystem _system;
    private readonly bool _cluster;
    private readonly Lock _lock = new();
    private Task<ShardingAnswer>? _pending;
    private (ShardingAnswer Answer, long At)? _last;

    public ClusterState(ActorSystem system)
    {
        _system = system;
        _cluster = ((ExtendedActorSystem)system).Provider is ClusterActorRefProvider;
    }

    /// <summary>This node's address in cluster mode, else null.</summary>
    public string? SelfAddress => _cluster ? Cluster.Get(_system).SelfAddress.ToString() : null;

    /// <summary>The cluster as this node sees it, or null outside cluster mode.</summary>
    public async Task<ClusterOverview?> ReadAsync()
    {
        if (!_cluster) return null;
        var cluster = Cluster.Get(_system);
        var state = cluster.State;
        var sharding = await ShardingAsync();
        var members = state.Members
            .OrderBy(member => member.Address.ToString(), StringComparer.Ordinal)
            .Select(member =>
            {
                var stats = sharding.Regions?.GetValueOrDefault(member.Address);
                return new ClusterMember(
                    member.Address.ToString(),
                    member.Status.ToString().ToLowerInvariant(),
                    !state.Unreachable.Contains(member),
                    member.Roles.Order(StringComparer.Ordinal).ToList(),
                    member.Address == cluster.SelfAddress,
                    stats?.Sessions,
                    stats?.Shards);
            })
            .ToList();
        return new ClusterOverview(state.Leader?.ToString(), members, sharding.Status);
    }

    private async Task<ShardingAnswer> ShardingAsync()
    {
        Task<ShardingAnswer> pending;
        lock (_lock)
        {
            if (_last is { } last && Environment.TickCount64 - last.At < CacheFor.TotalMilliseconds) return last.Answer;
            pending = _pending ??= AskShardingAsync();
        }
        return await pending;
    }

    private async Task<ShardingAnswer> AskShardingAsync()
    {
        await Task.Yield();
        ShardingAnswer answer;
        try
        {
            var region = ClusterSharding.Get(_system).ShardRegion(BambooSharding.TypeName);
            var stats = await region.Ask<ClusterShardingStats>(new GetClusterShardingStats(StatsTimeout), StatsTimeout + TimeSpan.FromMilliseconds(500));
            var regions = stats.Regions.ToDictionary(
                region => region.Key,
                region => new RegionCounts(region.Value.Stats.Values.Sum(), region.Value.Stats.Count));
            answer = new ShardingAnswer(ShardingStatus(stats), regions);
        }
        catch (AskTimeoutException)
        {
            answer = new ShardingAnswer($"no sharding statistics within {StatsTimeout.TotalSeconds:0} s", null);
        }
        catch (Exception exception) when (exception is ArgumentException or InvalidOperationException)
        {
            // The region is not started (yet): the node is still joining, or sessions are not sharded.
            answer = new ShardingAnswer("the session shard region is not running on this node", null);
        }
        lock (_lock)
        {
            _last = (answer, Environment.TickCount64);
            _pending = null;
        }
        return answer;
    }

    private static string ShardingStatus(ClusterShardingStats stats)
    {
        var failed = stats.Regions.Values.Sum(region => region.Failed?.Count ?? 0);
        return failed == 0 ? "ok" : $"{failed} shard(s) did not answer in time";
    }

    private sealed record RegionCounts(int Sessions, int Shards);

    private sealed record ShardingAnswer(string Status, IReadOnlyDictionary<Address, RegionCounts>? Regions);
}
