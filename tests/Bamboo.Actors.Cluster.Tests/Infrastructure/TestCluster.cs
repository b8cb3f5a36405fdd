using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerCommands;

namespace Bamboo.Actors.Cluster.Tests.Infrastructure;

/// <summary>
/// An in-process cluster of hosted nodes. <c>node-1</c> forms it (and so is the oldest: it runs the shard
/// coordinator); the others join it. Ready when every node sees every member up and each node's shard region answers.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private static readonly TimeSpan FormTimeout = TimeSpan.FromSeconds(30);

    private readonly List<ClusterNode> _nodes;
    private readonly Action<string>? _log;

    private TestCluster(List<ClusterNode> nodes, ClusterProfile profile, TimeSpan formed, TimeSpan ready, Action<string>? log)
    {
        _nodes = nodes;
        _log = log;
        Profile = profile;
        FormationTime = formed;
        ReadyTime = ready;
    }

    /// <summary>The nodes, oldest first.</summary>
    public IReadOnlyList<ClusterNode> Nodes => _nodes;

    /// <summary>The node at <paramref name="index"/> (0 is <c>node-1</c>, the oldest).</summary>
    public ClusterNode this[int index] => _nodes[index];

    /// <summary>The profile the nodes run with.</summary>
    public ClusterProfile Profile { get; }

    /// <summary>From starting the first node to every node seeing every member up.</summary>
    public TimeSpan FormationTime { get; }

    /// <summary>From starting the first node to every node's shard region answering.</summary>
    public TimeSpan ReadyTime { get; }

    /// <summary>Starts <paramref name="size"/> nodes and waits until the cluster is ready.</summary>
    public static async Task<TestCluster> StartAsync(int size, ClusterProfile profile, Action<string>? log = null)
    {
        var clock = Stopwatch.StartNew();
        var nodes = new List<ClusterNode>();
        try
        {
            nodes.Add(await ClusterNode.StartAsync("node-1", [], profile));
            var seeds = new[] { nodes[0].Address };
            nodes.AddRange(await Task.WhenAll(Enumerable.Range(2, size - 1)
                .Select(i => ClusterNode.StartAsync($"node-{i}", seeds, profile))));

            await Eventually.TrueAsync(() => nodes.All(node =>
                node.Cluster.State.Members.Count(m => m.Status == MemberStatus.Up) == size), FormTimeout, "cluster formed");
            var formed = clock.Elapsed;

            // Each region answers once it has registered with the coordinator; until then it buffers.
            await Task.WhenAll(nodes.Select((node, i) => Eventually.AnswerAsync<RunnerReplies.RunnerSnapshot>(
                node.Runners, new GetStatus($"warm-up-{i}"), FormTimeout)));
            var ready = clock.Elapsed;

            log?.Invoke($"{size}-node cluster: members up after {formed.TotalMilliseconds:F0} ms, " +
                        $"every shard region answering after {ready.TotalMilliseconds:F0} ms");
            return new TestCluster(nodes, profile, formed, ready, log);
        }
        catch
        {
            await StopAllAsync(nodes);
            throw;
        }
    }

    /// <summary>The node named by <paramref name="address"/> (an actor's address as seen from <paramref name="from"/>).</summary>
    public ClusterNode NodeAt(Address address, ClusterNode from) =>
        address.HasLocalScope ? from : _nodes.Single(node => node.Address.Equals(address));

    /// <summary>The nodes other than <paramref name="excluded"/>.</summary>
    public IReadOnlyList<ClusterNode> Except(params ClusterNode[] excluded) => [.. _nodes.Where(node => !excluded.Contains(node))];

    /// <summary>Stops every node, the youngest first (stopping all at once makes leaving members wait on each other).</summary>
    public ValueTask DisposeAsync() => new(StopAllAsync(_nodes, _log));

    private static async Task StopAllAsync(List<ClusterNode> nodes, Action<string>? log = null)
    {
        foreach (var node in Youngest(nodes))
        {
            var clock = Stopwatch.StartNew();
            await node.DisposeAsync();
            log?.Invoke($"{node.Name} stopped in {clock.ElapsedMilliseconds} ms");
        }
    }

    private static IEnumerable<ClusterNode> Youngest(List<ClusterNode> nodes)
    {
        var observer = nodes.FirstOrDefault(node => !node.IsTerminated);
        if (observer is null) return Enumerable.Reverse(nodes).ToList();
        var members = observer.Cluster.State.Members.ToDictionary(m => m.Address, m => m);
        // Members already gone first, then the youngest.
        var known = nodes.Where(node => members.ContainsKey(node.Address))
            .Select(node => members[node.Address]).ToList();
        known.Sort(Member.AgeOrdering);
        return [.. nodes.Where(node => !members.ContainsKey(node.Address)),
            .. Enumerable.Reverse(known).Select(member => nodes.Single(node => node.Address.Equals(member.Address)))];
    }
}
