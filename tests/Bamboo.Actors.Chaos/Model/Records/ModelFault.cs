using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Model.Records;

/// <summary>A fault the harness injected into the cluster or the store.</summary>
public enum ModelFaultKind
{
    /// <summary>A node crashed (cut off, terminated without leaving), then was started again in its slot.</summary>
    Crash,
    /// <summary>A node left gracefully (coordinated shutdown), then was started again in its slot.</summary>
    Leave,
    /// <summary>A node joined in an empty slot (shards rebalance onto it while runs are active).</summary>
    Join,
    /// <summary>The store was unreachable for a few seconds.</summary>
    Outage,

    /// <summary>Not injected: the whole process stood still (timers a second or more late), as on an overloaded machine.</summary>
    Stall,

    /// <summary>Not injected: the cluster downed a node (a failure detector that lost heartbeats under load, a split brain
    /// resolver decision), which terminated; it was started again, as a supervisor would.</summary>
    Downed,
}

/// <summary>One fault: when it began, how it went, and the window in which it explains a missing answer.</summary>
public sealed class ModelFault(ModelFaultKind kind, int slot, TimeSpan at)
{
    public ModelFaultKind Kind { get; } = kind;

    /// <summary>The node's slot (0 for the store).</summary>
    public int Slot { get; } = slot;

    public TimeSpan At { get; } = at;

    /// <summary>The crashed or leaving incarnation had terminated.</summary>
    public TimeSpan? TerminatedAt { get; set; }

    /// <summary>A node was started (again) in the slot.</summary>
    public TimeSpan? StartedAt { get; set; }

    /// <summary>The cluster had converged and every node served again (or the outage ended).</summary>
    public TimeSpan? HealedAt { get; set; }

    /// <summary>What else happened (a node that could not be started, ...).</summary>
    public string? Note { get; set; }

    /// <summary>From the fault until it healed plus <paramref name="margin"/>; open until <paramref name="end"/> if it never healed.</summary>
    public (TimeSpan From, TimeSpan To) Window(TimeSpan margin, TimeSpan end) => (At, HealedAt is { } healed ? healed + margin : end);

    public string Label => Slot == 0 ? $"{Kind.ToString().ToLowerInvariant()}" : $"{Kind.ToString().ToLowerInvariant()} n{Slot}";

    public string Describe() =>
        $"{Label} at {RunClock.Format(At)}" +
        (TerminatedAt is { } t ? $", gone after {RunClock.Seconds(t - At)}" : "") +
        (StartedAt is { } s ? $", started again at {RunClock.Format(s)}" : "") +
        (HealedAt is { } h ? $", healed after {RunClock.Seconds(h - At)}" : ", never healed") +
        (Note is null ? "" : $" ({Note})");
}
