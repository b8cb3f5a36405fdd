using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Model.Faults;

/// <summary>What the chaos journal does to one write.</summary>
public enum WriteFault
{
    None,
    /// <summary>The write fails (the journal's call throws): the writer's <c>OnPersistFailure</c>.</summary>
    Fail,
    /// <summary>The journal refuses the write (per message): the writer's <c>OnPersistRejected</c>.</summary>
    Reject,
    /// <summary>The write is held back before it reaches the database.</summary>
    Delay,
}

/// <summary>One fault the chaos journal injected.</summary>
/// <param name="At">When (run timeline).</param>
/// <param name="Node">The node whose journal injected it.</param>
/// <param name="PersistenceId">The writer it hit.</param>
/// <param name="Fault">What it did.</param>
/// <param name="Delay">How long a delayed write was held back.</param>
/// <param name="Cause">Why: <c>random</c>, <c>outage</c> or <c>dead</c> (the node had crashed); or, for a failure the
/// journal observed without injecting it, <c>store</c>, <c>call timeout</c> or <c>breaker open</c>.</param>
public sealed record InjectedFault(TimeSpan At, string Node, string PersistenceId, WriteFault Fault, TimeSpan Delay, string Cause);

/// <summary>A node that had not crashed lost a shard's lease: its renewals in the store did not complete in time (a store
/// outage, a stalled process), so the shard stopped there and its sessions wrote nothing more — for them, as if the
/// node had crashed.</summary>
/// <param name="At">When the node noticed (run timeline).</param>
/// <param name="Node">The node that lost it.</param>
/// <param name="LeaseName">The lease's name (<c>bamboo-shard-bamboo-session-17</c>).</param>
public sealed record LostLease(TimeSpan At, string Node, string LeaseName);

/// <summary>
/// The faults of the store every node shares: a probability per write to fail, be rejected or be delayed (session
/// writes only; sharding's own state is left alone), and outages during which every journal operation fails. Records
/// each injected fault, so the checks can tell an explained <c>Unavailable</c> from an unexplained one. Thread-safe.
/// </summary>
public sealed class StoreFaults(RunClock clock, int seed)
{
    private readonly object _gate = new();
    private readonly Random _random = new(unchecked(seed * 7919 + 3));
    private readonly List<InjectedFault> _injected = [];
    private readonly List<LostLease> _lostLeases = [];
    private TimeSpan _outageUntil = TimeSpan.MinValue;

    public RunClock Clock { get; } = clock;

    /// <summary>Probability that a session write fails.</summary>
    public double FailProbability { get; set; }

    /// <summary>Probability that a session write is rejected.</summary>
    public double RejectProbability { get; set; }

    /// <summary>Probability that a session write is held back.</summary>
    public double DelayProbability { get; set; }

    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMilliseconds(800);

    /// <summary>Whether an outage of the journal is under way.</summary>
    public bool InOutage => Clock.Now < _outageUntil;

    /// <summary>Every journal operation fails for <paramref name="length"/> from now (reads too).</summary>
    public void StartOutage(TimeSpan length)
    {
        lock (_gate) _outageUntil = Clock.Now + length;
    }

    public void EndOutage()
    {
        lock (_gate) _outageUntil = TimeSpan.MinValue;
    }

    public IReadOnlyList<InjectedFault> Injected
    {
        get
        {
            lock (_gate) return [.. _injected];
        }
    }

    /// <summary>Every shard lease a node lost while it was not crashed.</summary>
    public IReadOnlyList<LostLease> LostLeases
    {
        get
        {
            lock (_gate) return [.. _lostLeases];
        }
    }

    /// <summary><paramref name="node"/> lost the lease <paramref name="leaseName"/>.</summary>
    public void LeaseLost(string node, string leaseName)
    {
        lock (_gate) _lostLeases.Add(new LostLease(Clock.Now, node, leaseName));
    }

    /// <summary>What to do with one write of <paramref name="persistenceId"/> through <paramref name="node"/>'s journal.</summary>
    public (WriteFault Fault, TimeSpan Delay) DecideWrite(string node, string persistenceId, bool dead, bool sessions)
    {
        lock (_gate)
        {
            if (dead) return Record(node, persistenceId, WriteFault.Fail, TimeSpan.Zero, "dead");
            if (InOutage) return Record(node, persistenceId, WriteFault.Fail, TimeSpan.Zero, "outage");
            if (!sessions) return (WriteFault.None, TimeSpan.Zero);
            var roll = _random.NextDouble();
            if (roll < FailProbability) return Record(node, persistenceId, WriteFault.Fail, TimeSpan.Zero, "random");
            roll -= FailProbability;
            if (roll < RejectProbability) return Record(node, persistenceId, WriteFault.Reject, TimeSpan.Zero, "random");
            roll -= RejectProbability;
            if (roll < DelayProbability)
            {
                var delay = TimeSpan.FromMilliseconds(20 + _random.NextDouble() * (MaxDelay.TotalMilliseconds - 20));
                return Record(node, persistenceId, WriteFault.Delay, delay, "random");
            }
            return (WriteFault.None, TimeSpan.Zero);
        }
    }

    /// <summary>
    /// A write of <paramref name="persistenceId"/> through <paramref name="node"/>'s journal failed without an injected
    /// fault (<paramref name="cause"/>: <c>store</c>, <c>call timeout</c>, <c>breaker open</c>): recorded like one.
    /// </summary>
    public void Observed(string node, string persistenceId, WriteFault fault, string cause)
    {
        lock (_gate) _injected.Add(new InjectedFault(Clock.Now, node, persistenceId, fault, TimeSpan.Zero, cause));
    }

    /// <summary>Whether a read (recovery) through <paramref name="node"/>'s journal fails.</summary>
    public bool FailRead(string node, string persistenceId, bool dead)
    {
        lock (_gate)
        {
            if (!dead && !InOutage) return false;
            _injected.Add(new InjectedFault(Clock.Now, node, persistenceId, WriteFault.Fail, TimeSpan.Zero, dead ? "dead (read)" : "outage (read)"));
            return true;
        }
    }

    /// <summary>Told of every fault injected at random (outside the lock; must be quick).</summary>
    public Action<InjectedFault>? OnRandomFault { get; set; }

    private (WriteFault, TimeSpan) Record(string node, string persistenceId, WriteFault fault, TimeSpan delay, string cause)
    {
        var injected = new InjectedFault(Clock.Now, node, persistenceId, fault, delay, cause);
        _injected.Add(injected);
        if (cause == "random" && fault != WriteFault.Delay && OnRandomFault is { } told) ThreadPool.QueueUserWorkItem(_ => told(injected));
        return (fault, delay);
    }
}
