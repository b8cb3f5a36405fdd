using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Processes;

/// <summary>
/// Every 10-20 s, SIGKILL (mostly) or SIGTERM one random node — node 1, the first seed, at least once in every four
/// faults — and start it again on the same ports with the same arguments, never more than one node down at once: the
/// next fault waits until every node is up and the restarted one serves sessions again (or its bound passed; such a
/// node is the next victim). A node that exits by itself is started again at once (as a supervisor would), and its
/// exit reported.
/// </summary>
public sealed class FaultInjector(ChaosCluster cluster, RequestHistory history, IReadOnlyList<string> sessions, int seed, Action<string> log)
{
    /// <summary>
    /// How long a fault window lasts after the restarted node answered <c>/healthz</c>: the cluster's time to heal. A
    /// SIGKILLed node's sessions move to the survivors once it is downed (about 11 s after the kill with StableAfter 2 s);
    /// the new process joins only once the old one is removed, and the shard coordinator then rebalances shards onto it.
    /// Measured (three processes on 2 cores, 61 faults in 6 runs of the all-seeds recipe): while the cluster healed
    /// normally, the last request left unanswered or answered 503 was sent at most 14.1 s after the restarted node
    /// answered <c>/healthz</c>, once 20.5 s (that node served again 22.6 s after its start). 30 s leaves room for a
    /// loaded CI machine, and a hand-off stalled until Akka's 60 s hand-off timeout still shows (requests failing
    /// 30-45 s after <c>/healthz</c>).
    /// </summary>
    public static readonly TimeSpan HealMargin = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxInterval = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan HealthyBound = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan ReadyBound = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ServingBound = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan TerminateBound = TimeSpan.FromSeconds(45);
    private const double KillShare = 0.75;
    private const int StartAttempts = 3;

    private readonly Random _random = new(unchecked(seed * 104_729 + 17));
    private readonly List<FaultRecord> _faults = [];
    private readonly SemaphoreSlim[] _restarting = cluster.Nodes.Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    public IReadOnlyList<FaultRecord> Faults
    {
        get
        {
            lock (_faults) return _faults.OrderBy(fault => fault.At).ToArray();
        }
    }

    /// <summary>Planned faults whose node was started again.</summary>
    public int Restarts => Faults.Count(fault => fault.Kind != FaultKind.Exit && fault.RestartedAt is not null);

    /// <summary>
    /// Injects faults until <paramref name="stop"/> or <paramref name="restarts"/> restarts (null: no limit). Never returns
    /// in the middle of a restart: when it returns, the last victim is up again (or could not be started).
    /// </summary>
    public async Task RunAsync(int? restarts, CancellationToken stop)
    {
        var next = history.Clock.Now + Interval();
        while (restarts is null || Restarts < restarts)
        {
            if (!await PauseAsync(next - history.Clock.Now, stop)) break;
            // Never a second node down: wait until a node that exited by itself is back and serving (or its bound passed).
            while (cluster.Nodes.Any(node => !node.IsUp) || _restarting.Any(gate => gate.CurrentCount == 0))
            {
                if (!await PauseAsync(TimeSpan.FromMilliseconds(200), stop)) return;
            }
            var fault = await InjectAsync(ChooseVictim());
            if (fault.HealthyAt is null)
            {
                log($"node{fault.Node} could not be started again: no more faults");
                break;
            }
            // 10-20 s from one fault to the next, but never before the last victim serves again (or its bound passed).
            next = fault.At + Interval();
        }
    }

    /// <summary>Starts every node that exits by itself again, until <paramref name="stop"/>.</summary>
    public async Task RecoverExitsAsync(CancellationToken stop)
    {
        try
        {
            await foreach (var exit in cluster.Exits.ReadAllAsync(stop)) await RecoverAsync(exit);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Done.
        }
    }

    private TimeSpan Interval() => MinInterval + (MaxInterval - MinInterval) * _random.NextDouble();

    private ServerNode ChooseVictim()
    {
        // A node that never served again since its last restart is still (effectively) down: take it, so only one node
        // is ever down.
        var faults = Faults;
        if (faults.GroupBy(fault => fault.Node).Select(node => node.Last()).FirstOrDefault(last => last.ServingAt is null) is { } stuck)
            return cluster.Nodes[stuck.Node - 1];
        var planned = faults.Where(fault => fault.Kind != FaultKind.Exit).ToArray();
        if (planned.Length >= 3 && planned.TakeLast(3).All(fault => fault.Node != 1)) return cluster.Nodes[0];
        return cluster.Nodes[_random.Next(cluster.Nodes.Count)];
    }

    private async Task<FaultRecord> InjectAsync(ServerNode victim)
    {
        var gate = _restarting[victim.Index - 1];
        await gate.WaitAsync();
        try
        {
            var kind = _random.NextDouble() < KillShare ? FaultKind.Kill : FaultKind.Terminate;
            var fault = Add(new FaultRecord(victim.Index, kind, history.Clock.Now));
            log($"{RunClock.Format(fault.At)} {(kind == FaultKind.Kill ? "SIGKILL" : "SIGTERM")} node{victim.Index}");
            if (kind == FaultKind.Kill) await victim.KillAsync();
            else fault.NeededKill = !await victim.TerminateAsync(TerminateBound);
            fault.ExitedAt = history.Clock.Now;
            await Task.Delay(TimeSpan.FromMilliseconds(_random.Next(200, 2000)));
            await RestartAsync(victim, fault);
            return fault;
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task RecoverAsync(NodeExit exit)
    {
        var node = cluster.Nodes[exit.Node - 1];
        var gate = _restarting[node.Index - 1];
        await gate.WaitAsync();
        try
        {
            if (exit.Incarnation != node.Incarnation || !node.HasExited) return; // an earlier start's exit, already handled
            var fault = Add(new FaultRecord(node.Index, FaultKind.Exit, exit.At) { ExitedAt = exit.At });
            log($"{RunClock.Format(exit.At)} node{node.Index} exited by itself (code {exit.ExitCode}): starting it again");
            await RestartAsync(node, fault);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task RestartAsync(ServerNode node, FaultRecord fault)
    {
        for (var attempt = 1; attempt <= StartAttempts && fault.HealthyAt is null; attempt++)
        {
            fault.RestartedAt ??= history.Clock.Now;
            node.Launch();
            if (await node.WaitHealthyAsync(HealthyBound)) fault.HealthyAt = history.Clock.Now;
            else await node.KillAsync();
        }
        if (fault.HealthyAt is null) return;
        // Where the server offers /readyz, the workload (like a load balancer) waits for it; a node never ready is used anyway.
        if (await node.WaitReadyAsync(ReadyBound)) fault.ReadyAt = history.Clock.Now;
        node.MarkUp();
        fault.ServingAt = await ServingAsync(node);
        log($"{RunClock.Format(history.Clock.Now)} {fault.Describe()}");
    }

    /// <summary>Reads sessions through the restarted node until one is answered (not 503): when it serves again.</summary>
    private async Task<TimeSpan?> ServingAsync(ServerNode node)
    {
        var until = history.Clock.Now + ServingBound;
        for (var i = 0; history.Clock.Now < until; i++)
        {
            var answer = await node.SendAsync(ChaosRequest.ReadSnapshot(sessions[i % sessions.Count], "serve-probe"), history);
            if (!answer.Unavailable) return answer.End;
            if (node.HasExited) return null;
            await Task.Delay(250);
        }
        return null;
    }

    private static async Task<bool> PauseAsync(TimeSpan delay, CancellationToken stop) => await Workload.PauseAsync(delay, stop);

    private FaultRecord Add(FaultRecord fault)
    {
        lock (_faults) _faults.Add(fault);
        return fault;
    }
}
