using System.Collections.Concurrent;
using Akka.Actor;
using Bamboo.Actors.Chaos.History;
using Bamboo.Actors.Chaos.Model.Faults;

namespace Bamboo.Actors.Chaos.Model.Nodes;

/// <summary>
/// What the harness shares with the plugins it puts into one node incarnation (the chaos journal, the chaos lease, the
/// log sink): they are created by Akka from configuration, so they find this through the key in their ActorSystem's
/// configuration (<c>bamboo.chaos.node-key</c>).
/// </summary>
public sealed class NodeContext
{
    public const string KeyPath = "bamboo.chaos.node-key";

    private static readonly ConcurrentDictionary<string, NodeContext> Registry = new(StringComparer.Ordinal);

    private NodeContext(string key, string label, RunClock clock, StoreFaults store, NodeLog log)
    {
        Key = key;
        Label = label;
        Clock = clock;
        Store = store;
        Log = log;
    }

    /// <summary>Unique per incarnation (slot, incarnation, run).</summary>
    public string Key { get; }

    /// <summary>How the node appears in the history (<c>n2</c>).</summary>
    public string Label { get; }

    public RunClock Clock { get; }

    /// <summary>The faults of the store all nodes share (probabilities, outages, the log of what was injected).</summary>
    public StoreFaults Store { get; }

    public NodeLog Log { get; }

    /// <summary>Set when the node crashed: from then on nothing it does reaches the store or the others.</summary>
    public bool Dead { get; private set; }

    private readonly List<ChaosLease> _leases = [];

    public static NodeContext Register(string key, string label, RunClock clock, StoreFaults store, NodeLog log)
    {
        var context = new NodeContext(key, label, clock, store, log);
        if (!Registry.TryAdd(key, context)) throw new InvalidOperationException($"node key {key} registered twice");
        return context;
    }

    public static NodeContext Of(ActorSystem system) => Registry[system.Settings.Config.GetString(KeyPath)];

    public void Unregister() => Registry.TryRemove(Key, out _);

    /// <summary>A lease created in this node (kept so a crash can stop it renewing).</summary>
    public void Add(ChaosLease lease)
    {
        bool dead;
        lock (_leases)
        {
            _leases.Add(lease);
            dead = Dead;
        }
        if (dead) lease.Kill();
    }

    /// <summary>
    /// The node's process is gone, as far as the store can tell: its journal writes and reads fail, its leases stop
    /// renewing without being released (they expire), and its lease checks say false.
    /// </summary>
    public void Crash()
    {
        ChaosLease[] leases;
        lock (_leases)
        {
            Dead = true;
            leases = [.. _leases];
        }
        foreach (var lease in leases) lease.Kill();
    }
}
