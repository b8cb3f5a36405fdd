using System.Threading.Channels;
using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Processes;

/// <summary>The server processes of one run, on fixed loopback ports, and the exits nobody asked for.</summary>
public sealed class ChaosCluster : IAsyncDisposable
{
    private static readonly TimeSpan HealthyBound = TimeSpan.FromSeconds(90);
    private readonly Channel<NodeExit> _exits = Channel.CreateUnbounded<NodeExit>();
    private readonly List<NodeExit> _unexpectedExits = [];

    public ChaosCluster(ClusterRecipe recipe, int size, RunClock clock, string logFolder)
    {
        var endpoints = NodeEndpoint.OnFreePorts(size);
        Nodes = endpoints.Select(endpoint => new ServerNode(endpoint, recipe.NodeArguments(endpoint, endpoints), clock, logFolder, Exited)).ToArray();
    }

    public IReadOnlyList<ServerNode> Nodes { get; }

    /// <summary>Exits nobody asked for, as they happen (the fault injector starts those nodes again).</summary>
    public ChannelReader<NodeExit> Exits => _exits.Reader;

    public IReadOnlyList<NodeExit> UnexpectedExits
    {
        get
        {
            lock (_unexpectedExits) return _unexpectedExits.ToArray();
        }
    }

    /// <summary>Starts node 1 (the first seed), then the others; each must answer <c>/healthz</c>.</summary>
    public async Task StartAsync()
    {
        await StartNodeAsync(Nodes[0]);
        await Task.WhenAll(Nodes.Skip(1).Select(StartNodeAsync));
    }

    /// <summary>
    /// Waits until every node answers a session request (200 or 404, not 503): the cluster has formed and every shard
    /// region answers. These probes are setup, not part of the history.
    /// </summary>
    public async Task WaitFormedAsync(string probeSessionId, RunClock clock, TimeSpan bound)
    {
        var scratch = new RequestHistory(clock);
        var until = clock.Now + bound;
        foreach (var node in Nodes)
        {
            while (true)
            {
                var answer = await node.SendAsync(ChaosRequest.ReadSnapshot(probeSessionId, "formation"), scratch);
                if (answer.Status is 200 or 404) break;
                if (clock.Now > until)
                    throw new TimeoutException($"node{node.Index} did not answer a session request within {RunClock.Seconds(bound)}: {answer.Describe()}\n{node.OutputTail()}");
                await Task.Delay(250);
            }
        }
    }

    /// <summary>A node the workload may use now, at random; null when none is up.</summary>
    public ServerNode? RandomUpNode(Random random)
    {
        var up = Nodes.Where(node => node.IsUp).ToArray();
        return up.Length == 0 ? null : up[random.Next(up.Length)];
    }

    /// <summary>Kills every node (an exit asked for, not reported).</summary>
    public async Task StopAllAsync()
    {
        foreach (var node in Nodes) await node.KillAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes) await node.DisposeAsync();
    }

    private static async Task StartNodeAsync(ServerNode node)
    {
        node.Launch();
        if (!await node.WaitHealthyAsync(HealthyBound))
            throw new InvalidOperationException($"node{node.Index} did not answer /healthz within {RunClock.Seconds(HealthyBound)}:\n{node.OutputTail()}");
        if (!await node.WaitReadyAsync(HealthyBound))
            throw new InvalidOperationException($"node{node.Index} did not answer /readyz within {RunClock.Seconds(HealthyBound)}:\n{node.OutputTail()}");
        node.MarkUp();
    }

    private void Exited(NodeExit exit)
    {
        lock (_unexpectedExits) _unexpectedExits.Add(exit);
        _exits.Writer.TryWrite(exit);
    }
}
