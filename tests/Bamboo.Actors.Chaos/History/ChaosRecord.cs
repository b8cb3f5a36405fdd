namespace Bamboo.Actors.Chaos.History;

/// <summary>Everything a run observed, which the checks judge: requests, faults, exits, final reads, the journal.</summary>
public sealed record ChaosRecord
{
    public required int Seed { get; init; }

    /// <summary>A description of the cluster recipe (seed list) the nodes were started with.</summary>
    public required string Recipe { get; init; }

    public required int NodeCount { get; init; }

    public required IReadOnlyList<HistoryEntry> Entries { get; init; }

    public required IReadOnlyList<FaultRecord> Faults { get; init; }

    public required IReadOnlyList<NodeExit> UnexpectedExits { get; init; }

    public required IReadOnlyList<SessionFinalRead> FinalReads { get; init; }

    /// <summary>Journal rows after every node was stopped; empty when the journal could not be read.</summary>
    public required IReadOnlyList<JournalRow> Journal { get; init; }

    /// <summary>How long after a restarted node answers <c>/healthz</c> its fault window still lasts.</summary>
    public required TimeSpan HealMargin { get; init; }

    /// <summary>When the workload started (the cluster had formed).</summary>
    public required TimeSpan LoadStarted { get; init; }

    /// <summary>When the workload and the faults stopped.</summary>
    public required TimeSpan LoadStopped { get; init; }

    /// <summary>When the final reads were done.</summary>
    public required TimeSpan Ended { get; init; }

    public required RunClock Clock { get; init; }
}
