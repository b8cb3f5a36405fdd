using Akka.Actor;
using Akka.Cluster;
using Bamboo.Actors.Chaos.History;
using Bamboo.Actors.Chaos.Model.Faults;
using Bamboo.Actors.TestSupport;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Chaos.Model.Nodes;

/// <summary>
/// The nodes of a model run, by slot. Every slot has a fixed port chosen at the start and every slot is a seed (in slot
/// order, as the README recommends), so a node restarted in its slot comes back on its own address, and slot 1 — the
/// first seed — asks the others before it forms a cluster. A cluster runs three slots, and a fourth joins at times.
/// </summary>
public sealed class NodeSet : IAsyncDisposable
{
    private static readonly TimeSpan FormBound = TimeSpan.FromSeconds(90);
    private const int StartAttempts = 5;

    private readonly object _gate = new();
    private readonly ModelNode?[] _slots;
    private readonly int[] _incarnations;
    private readonly int[] _ports;
    private readonly List<ModelNode> _all = [];
    private readonly ModelStore? _store;
    private readonly ModelProfile _profile;
    private readonly StoreFaults _faults;
    private readonly string? _logFolder;
    private readonly Action<string> _log;
    private readonly string _runKey = Guid.NewGuid().ToString("N")[..8];

    public NodeSet(Topology topology, int slots, ModelStore? store, ModelProfile profile, StoreFaults faults, RunClock clock, string? logFolder,
        Action<string> log)
    {
        Topology = topology;
        _slots = new ModelNode?[slots];
        _incarnations = new int[slots];
        _ports = Enumerable.Range(0, slots).Select(_ => topology == Topology.Cluster ? TestPorts.Next() : 0).ToArray();
        _store = store;
        _profile = profile;
        _faults = faults;
        Clock = clock;
        _logFolder = logFolder;
        _log = log;
        Seeds = _ports.Select(port => $"akka.trttl.tcp://{ModelNode.SystemName}@127.0.0.1:{port}").ToArray();
    }

    public Topology Topology { get; }

    /// <summary>A node's system terminated by itself (the cluster downed it).</summary>
    public event Action<ModelNode>? Downed;

    public RunClock Clock { get; }

    public IReadOnlyList<string> Seeds { get; }

    public int SlotCount => _slots.Length;

    /// <summary>Every incarnation ever started (for their logs and warnings).</summary>
    public IReadOnlyList<ModelNode> AllIncarnations
    {
        get
        {
            lock (_gate) return [.. _all];
        }
    }

    /// <summary>The node in a slot (any state), or null.</summary>
    public ModelNode? this[int slot]
    {
        get
        {
            lock (_gate) return _slots[slot - 1];
        }
    }

    /// <summary>Nodes the harness may send through.</summary>
    public IReadOnlyList<ModelNode> Usable
    {
        get
        {
            lock (_gate) return _slots.OfType<ModelNode>().Where(node => node.Usable).ToArray();
        }
    }

    /// <summary>Slots with no node, or with one that is gone.</summary>
    public IReadOnlyList<int> EmptySlots
    {
        get
        {
            lock (_gate) return Enumerable.Range(1, _slots.Length).Where(slot => _slots[slot - 1] is null or { State: NodeState.Gone }).ToArray();
        }
    }

    /// <summary>Starts <paramref name="count"/> nodes (slot 1 first: it forms the cluster) and waits until every one serves.</summary>
    public async Task StartAsync(int count)
    {
        await StartSlotAsync(1);
        if (count > 1) await Task.WhenAll(Enumerable.Range(2, count - 1).Select(StartSlotAsync));
        await WaitServingAsync(FormBound);
    }

    /// <summary>Starts a new incarnation in <paramref name="slot"/> (its earlier one must be gone).</summary>
    public async Task<ModelNode> StartSlotAsync(int slot)
    {
        for (var attempt = 1; ; attempt++)
        {
            int incarnation;
            lock (_gate) incarnation = ++_incarnations[slot - 1];
            var label = $"n{slot}";
            var key = $"{_runKey}-{label}-{incarnation}";
            var path = _logFolder is null ? null : Path.Combine(_logFolder, $"{label}.{incarnation}.log");
            var context = NodeContext.Register(key, label, Clock, _faults, new NodeLog(path, Clock, $"{label}.{incarnation}"));
            try
            {
                var node = await ModelNode.StartAsync(slot, incarnation, _ports[slot - 1], Seeds, Topology, _store, _profile, context);
                lock (_gate)
                {
                    _slots[slot - 1] = node;
                    _all.Add(node);
                }
                _ = node.System.WhenTerminated.ContinueWith(_ =>
                {
                    if (node.TerminatedByItself()) Downed?.Invoke(node);
                }, TaskScheduler.Default);
                return node;
            }
            catch (Exception exception) when (attempt < StartAttempts)
            {
                // The port may still be held by the incarnation that just terminated.
                context.Log.Note($"start failed: {exception.GetType().Name}: {exception.Message}");
                context.Log.Dispose();
                context.Unregister();
                _log($"{RunClock.Format(Clock.Now)} {label}: start {attempt} failed ({exception.GetType().Name}: {exception.Message}); trying again");
                await Task.Delay(TimeSpan.FromSeconds(attempt));
            }
        }
    }

    /// <summary>Crashes the node in <paramref name="slot"/> (see <see cref="ModelNode.CrashAsync"/>).</summary>
    public async Task<ModelNode> CrashAsync(int slot)
    {
        var node = this[slot] ?? throw new InvalidOperationException($"slot {slot} is empty");
        var peers = Seeds.Select((_, i) => i + 1).Where(other => other != slot)
            .Select(other => Address.Parse(Seeds[other - 1])).ToArray();
        await node.CrashAsync(peers);
        return node;
    }

    public Task LeaveAsync(int slot) => (this[slot] ?? throw new InvalidOperationException($"slot {slot} is empty")).LeaveAsync();

    /// <summary>Waits until every usable node is an Up member seen by all the others (no one unreachable), and each
    /// answers a session command.</summary>
    public async Task WaitServingAsync(TimeSpan bound)
    {
        using var deadline = new CancellationTokenSource(bound);
        while (true)
        {
            var usable = Usable;
            if (Topology != Topology.Cluster || Converged(usable))
            {
                var answered = await Task.WhenAll(usable.Select(node => AnswersAsync(node, deadline.Token)));
                if (answered.All(ok => ok)) return;
            }
            if (deadline.IsCancellationRequested) throw new TimeoutException($"the nodes did not converge and serve within {bound.TotalSeconds:0} s");
            await Task.Delay(200, CancellationToken.None);
        }
    }

    private static bool Converged(IReadOnlyList<ModelNode> nodes)
    {
        var addresses = nodes.Select(node => node.Address).ToHashSet();
        return nodes.All(node =>
        {
            var state = node.Cluster.State;
            var up = state.Members.Where(member => member.Status == MemberStatus.Up).Select(member => member.Address).ToHashSet();
            return up.SetEquals(addresses) && state.Unreachable.Count == 0 && state.Members.Count == addresses.Count;
        });
    }

    private static async Task<bool> AnswersAsync(ModelNode node, CancellationToken token)
    {
        try
        {
            await node.Runners.Ask<RunnerSnapshot>(new GetStatus($"probe-{node.Label}"), TimeSpan.FromSeconds(3), token);
            return true;
        }
        catch (Exception exception) when (exception is AskTimeoutException or OperationCanceledException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>The node (slot and incarnation) an actor's address belongs to, as seen from <paramref name="via"/>.</summary>
    public string LabelOf(Address address, ModelNode via)
    {
        if (address.HasLocalScope) return $"{via.Label}.{via.Incarnation}";
        var slot = Array.IndexOf(_ports, address.Port ?? -1) + 1;
        if (slot == 0) return address.ToString();
        var node = this[slot];
        return node is null ? $"n{slot}" : $"n{slot}.{node.Incarnation}";
    }

    /// <summary>Stops every node: the ones still up leave (youngest first), then every incarnation is awaited.</summary>
    public async ValueTask DisposeAsync()
    {
        ModelNode[] live;
        lock (_gate) live = _slots.OfType<ModelNode>().Where(node => node.State == NodeState.Up).Reverse().ToArray();
        foreach (var node in live) await node.LeaveAsync();
        foreach (var node in AllIncarnations)
        {
            await node.Terminated;
            node.Context.Log.Dispose();
            node.Context.Unregister();
        }
    }
}
