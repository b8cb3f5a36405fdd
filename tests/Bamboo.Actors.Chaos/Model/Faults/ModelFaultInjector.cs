using Bamboo.Actors.Chaos.History;
using Bamboo.Actors.Chaos.Model.Nodes;
using Bamboo.Actors.Chaos.Model.Records;
using Bamboo.Actors.Chaos.Model.Workload;

namespace Bamboo.Actors.Chaos.Model.Faults;

/// <summary>
/// Injects one cluster or store fault at a time, then waits until the cluster healed (every node converged and serving)
/// before the next: a node crash (then a restart in its slot, on its port), a graceful leave (then a restart), a node
/// joining an empty slot (shards rebalance onto it while runs are active), and a store outage of a few seconds. The
/// first faults follow a fixed plan, so even a short run meets every kind (node 1, the first seed, crashes among them);
/// later ones are drawn from the seed.
/// </summary>
public sealed class ModelFaultInjector(NodeSet nodes, ModelWorkload workload, ModelHistory history, ModelStore? store, StoreFaults faults,
    int seed, Action<string> log)
{
    private static readonly TimeSpan HealBound = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan TerminateBound = TimeSpan.FromSeconds(60);

    private readonly Random _random = new(unchecked(seed * 104_729 + 11));
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private readonly List<Task> _recoveries = [];
    private RunClock Clock => history.Clock;

    /// <summary>Starts watching for nodes the cluster downs by itself: each is recorded and started again, as a supervisor would.</summary>
    public void Supervise() => nodes.Downed += node =>
    {
        var recovery = Task.Run(() => RecoverAsync(node));
        lock (_recoveries) _recoveries.Add(recovery);
    };

    /// <summary>Waits for the restarts of downed nodes under way.</summary>
    public async Task RecoveredAsync()
    {
        Task[] pending;
        lock (_recoveries) pending = [.. _recoveries];
        await Task.WhenAll(pending);
    }

    private async Task RecoverAsync(ModelNode node)
    {
        var fault = history.AddFault(new ModelFault(ModelFaultKind.Downed, node.Slot, Clock.Now));
        log($"{RunClock.Format(fault.At)} {node} terminated by itself (downed by the cluster): starting it again");
        workload.NodeDown(node, "node downed", fault.At);
        await _oneAtATime.WaitAsync();
        try
        {
            await node.Terminated.WaitAsync(TerminateBound);
            fault.TerminatedAt = Clock.Now;
            await Task.Delay(TimeSpan.FromSeconds(1));
            if (nodes[node.Slot] == node) await nodes.StartSlotAsync(node.Slot);
            fault.StartedAt = Clock.Now;
            await nodes.WaitServingAsync(HealBound);
            fault.HealedAt = Clock.Now;
        }
        catch (Exception exception) when (exception is TimeoutException or InvalidOperationException)
        {
            fault.Note = $"{exception.GetType().Name}: {exception.Message}";
        }
        finally
        {
            _oneAtATime.Release();
        }
        log($"{RunClock.Format(Clock.Now)} {fault.Describe()}");
    }

    /// <summary>Time between the healing of one fault and the next fault.</summary>
    public (TimeSpan Min, TimeSpan Max) Pause { get; init; } = (TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(14));

    public int Injected { get; private set; }

    /// <summary>How long a store outage lasts (drawn between the two).</summary>
    public (TimeSpan Min, TimeSpan Max) OutageLength { get; init; } = (TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(6));

    /// <summary>The only kinds of fault injected (planned and drawn); null: every kind.</summary>
    public IReadOnlyCollection<ModelFaultKind>? Kinds { get; init; }

    /// <summary>How many faults the fixed plan at the start has (a budget run waits for them).</summary>
    public int Planned => Plan().Count();

    /// <summary>Injects faults until <paramref name="stop"/>; returns once the fault under way has healed.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var plan = new Queue<(ModelFaultKind Kind, int Slot)>(Plan());
        while (!stop.IsCancellationRequested)
        {
            if (!await PauseAsync(stop)) return;
            var (kind, slot) = plan.Count > 0 ? plan.Dequeue() : Draw();
            await _oneAtATime.WaitAsync(CancellationToken.None);
            try
            {
                if (!Possible(kind)) continue;
                await InjectAsync(kind, slot);
                Injected++;
            }
            finally
            {
                _oneAtATime.Release();
            }
        }
    }

    private IEnumerable<(ModelFaultKind Kind, int Slot)> Plan() => (nodes.Topology switch
    {
        Topology.Cluster => [(ModelFaultKind.Crash, 2), (ModelFaultKind.Outage, 0), (ModelFaultKind.Join, 4), (ModelFaultKind.Leave, 3),
            (ModelFaultKind.Crash, 1), (ModelFaultKind.Leave, 4)],
        Topology.Single => [(ModelFaultKind.Crash, 1), (ModelFaultKind.Outage, 0), (ModelFaultKind.Leave, 1)],
        _ => Array.Empty<(ModelFaultKind, int)>(),
    }).Where(planned => Kinds?.Contains(planned.Item1) ?? true);

    private (ModelFaultKind, int) Draw()
    {
        // Drawn as without a restriction, until the kind is one of those allowed.
        for (var attempt = 0; ; attempt++)
        {
            var drawn = DrawAny();
            if (Kinds is null || Kinds.Contains(drawn.Item1)) return drawn;
            if (attempt == 100) return (Kinds.First(), drawn.Item2);
        }
    }

    private (ModelFaultKind, int) DrawAny()
    {
        var usable = nodes.Usable.Select(node => node.Slot).ToArray();
        var roll = _random.NextDouble();
        if (nodes.Topology == Topology.Memory) return (ModelFaultKind.Outage, 0);
        if (nodes.Topology == Topology.Single)
            return roll switch { < 0.5 => (ModelFaultKind.Crash, 1), < 0.75 => (ModelFaultKind.Leave, 1), _ => (ModelFaultKind.Outage, 0) };
        var any = usable.Length == 0 ? 1 : usable[_random.Next(usable.Length)];
        return roll switch
        {
            < 0.4 => (ModelFaultKind.Crash, any),
            < 0.6 => (ModelFaultKind.Leave, any),
            < 0.8 => (ModelFaultKind.Join, nodes.EmptySlots.FirstOrDefault()),
            _ => (ModelFaultKind.Outage, 0),
        };
    }

    private bool Possible(ModelFaultKind kind) => kind switch
    {
        ModelFaultKind.Outage => store is not null,
        ModelFaultKind.Join => nodes.Topology == Topology.Cluster && nodes.EmptySlots.Count > 0 && nodes.Usable.Count == 3,
        _ => store is not null && (nodes.Topology != Topology.Cluster || nodes.Usable.Count >= 3),
    };

    private async Task InjectAsync(ModelFaultKind kind, int slot)
    {
        if (kind is ModelFaultKind.Crash or ModelFaultKind.Leave && nodes[slot] is not { Usable: true })
            slot = nodes.Usable[_random.Next(nodes.Usable.Count)].Slot;
        var fault = history.AddFault(new ModelFault(kind, slot, Clock.Now));
        log($"{RunClock.Format(fault.At)} fault: {fault.Label}");
        try
        {
            switch (kind)
            {
                case ModelFaultKind.Crash:
                    await CrashAsync(fault);
                    break;
                case ModelFaultKind.Leave:
                    await LeaveAsync(fault);
                    break;
                case ModelFaultKind.Join:
                    await nodes.StartSlotAsync(slot);
                    fault.StartedAt = Clock.Now;
                    break;
                case ModelFaultKind.Outage:
                    await OutageAsync(fault);
                    break;
            }
            await nodes.WaitServingAsync(HealBound);
            fault.HealedAt = Clock.Now;
        }
        catch (Exception exception) when (exception is TimeoutException or InvalidOperationException)
        {
            fault.Note = $"{exception.GetType().Name}: {exception.Message}";
            log($"{RunClock.Format(Clock.Now)} fault {fault.Label} did not heal: {exception.Message}");
        }
        log($"{RunClock.Format(Clock.Now)} {fault.Describe()}");
    }

    private async Task CrashAsync(ModelFault fault)
    {
        var node = await nodes.CrashAsync(fault.Slot);
        workload.NodeDown(node, "node crashed", fault.At);
        await node.Terminated.WaitAsync(TerminateBound);
        fault.TerminatedAt = Clock.Now;
        // A supervisor restarts the process after a moment, on the same address.
        await Task.Delay(TimeSpan.FromMilliseconds(_random.Next(0, 3_000)));
        await nodes.StartSlotAsync(fault.Slot);
        fault.StartedAt = Clock.Now;
    }

    private async Task LeaveAsync(ModelFault fault)
    {
        var node = nodes[fault.Slot]!;
        var wasFourth = nodes.Usable.Count > 3;
        await node.LeaveAsync().WaitAsync(TerminateBound);
        workload.NodeDown(node, "node left", fault.At);
        fault.TerminatedAt = Clock.Now;
        // Back to three members: a fourth node leaves for good; otherwise the node comes back (a rolling restart).
        if (wasFourth && nodes.Topology == Topology.Cluster) return;
        await Task.Delay(TimeSpan.FromMilliseconds(_random.Next(0, 2_000)));
        await nodes.StartSlotAsync(fault.Slot);
        fault.StartedAt = Clock.Now;
    }

    private async Task OutageAsync(ModelFault fault)
    {
        var length = TimeSpan.FromMilliseconds(_random.Next((int)OutageLength.Min.TotalMilliseconds, (int)OutageLength.Max.TotalMilliseconds + 1));
        if (store!.IsPostgres) store.Cut();
        else faults.StartOutage(length);
        await Task.Delay(length);
        if (store.IsPostgres) store.Restore();
        else faults.EndOutage();
        fault.TerminatedAt = Clock.Now;
    }

    private async Task<bool> PauseAsync(CancellationToken stop)
    {
        var pause = Pause.Min + TimeSpan.FromMilliseconds(_random.NextDouble() * (Pause.Max - Pause.Min).TotalMilliseconds);
        try
        {
            await Task.Delay(pause, stop);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
