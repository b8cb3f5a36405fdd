using Bamboo.Actors.Chaos.History;
using Bamboo.Actors.Chaos.Model.Faults;
using Bamboo.Actors.Chaos.Model.Nodes;
using Bamboo.Actors.Chaos.Model.Workload;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;

namespace Bamboo.Actors.Chaos.Model.Records;

/// <summary>A reservation as its executor knew it at the end of the run (see <see cref="RunHandle"/>).</summary>
public sealed record RunView(
    string SessionId,
    string? RunId,
    ExecutorKind Kind,
    string Node,
    ConflictPolicy Policy,
    TimeSpan Deadline,
    TimeSpan? HeartbeatTimeout,
    int ReservedBy,
    TimeSpan? ActiveAt,
    DateTimeOffset? StartedAt,
    bool Queued,
    bool Over,
    RunStatus? Finalized,
    TimeSpan? DiedAt,
    string? DeathCause,
    TimeSpan? SignalledAt,
    string? SignalReason,
    TimeSpan? LastHeard,
    bool FinalizeUncertain,
    bool ReserverLost)
{
    public static RunView Of(RunHandle run) => new(run.SessionId, run.RunId, run.Kind, $"{run.Node.Label}.{run.Node.Incarnation}", run.Policy,
        run.Deadline, run.HeartbeatTimeout, run.ReservedBy, run.ActiveAt, run.StartedAt, run.Queued, run.Over, run.Finalized, run.DiedAt,
        run.DeathCause, run.SignalledAt, run.SignalReason, run.LastHeard, run.FinalizeUncertain, run.ReserverLost);
}

/// <summary>A session read after quiescence through every node: its snapshots and the record of its last run.</summary>
public sealed record FinalRead(string SessionId, IReadOnlyList<ModelEntry> Statuses, IReadOnlyList<ModelEntry> Records);

/// <summary>
/// Every event a session still holds at the end, read with cursor 0 after quiescence: what a cursor subscriber must
/// have seen. <see cref="Gap"/> is where retention had dropped older ones.
/// </summary>
public sealed record TruthLog(string SessionId, long LastSequence, IReadOnlyList<AgentEvent> Events, ReplayGap? Gap, bool Complete);

/// <summary>A subscriber still open at the end: the highest sequence it had when it had caught up (or given up).</summary>
public sealed record SubscriberEnd(int Subscriber, string SessionId, long Highest, long SessionLast, TimeSpan At);

/// <summary><c>bamboo.runs.active</c> summed over the nodes, against the sessions found running.</summary>
/// <param name="AtQuiescence">The gauge after quiescence (nothing should run).</param>
/// <param name="RunningAtQuiescence">Sessions the final reads found running.</param>
/// <param name="Held">Runs reserved and held on purpose afterwards.</param>
/// <param name="WhileHeld">The gauge while they were held.</param>
/// <param name="RunningWhileHeld">Sessions found running while they were held.</param>
/// <param name="AfterRelease">The gauge after they were finalized.</param>
/// <param name="Lowest">The lowest value the gauge ever had.</param>
public sealed record GaugeReading(long AtQuiescence, int RunningAtQuiescence, int Held, long WhileHeld, int RunningWhileHeld, long AfterRelease,
    int RunningAfterRelease, long Lowest);

/// <summary>Everything a model run observed, which the checks judge.</summary>
public sealed record ModelRecord
{
    public required ModelOptions Options { get; init; }
    public required ModelProfile Profile { get; init; }
    public required string Store { get; init; }
    public required IReadOnlyList<ModelEntry> Entries { get; init; }
    public required IReadOnlyList<SubscriberLog> Subscribers { get; init; }
    public required IReadOnlyList<ModelFault> Faults { get; init; }
    public required IReadOnlyList<InjectedFault> Injected { get; init; }

    /// <summary>Shard leases lost by nodes that had not crashed (renewals failed in an outage or stalled).</summary>
    public required IReadOnlyList<LostLease> LostLeases { get; init; }
    public required IReadOnlyList<RunView> Runs { get; init; }
    public required IReadOnlyList<FinalRead> FinalReads { get; init; }
    public required IReadOnlyDictionary<string, TruthLog> Truth { get; init; }
    public required IReadOnlyList<SubscriberEnd> SubscriberEnds { get; init; }

    /// <summary>Snapshots read after every subscriber was closed (their subscriber counts must be 0).</summary>
    public required IReadOnlyList<ModelEntry> AfterClose { get; init; }

    public required GaugeReading? Gauge { get; init; }
    public required TimeSpan LoadStarted { get; init; }
    public required TimeSpan LoadStopped { get; init; }

    /// <summary>From here until <see cref="ReadsFrom"/> nothing touched any session (only executors answered signals).</summary>
    public required TimeSpan QuietFrom { get; init; }

    public required TimeSpan ReadsFrom { get; init; }
    public required TimeSpan Ended { get; init; }
    public required RunClock Clock { get; init; }

    /// <summary>Warnings and errors in the nodes' logs.</summary>
    public required int LogWarnings { get; init; }

    public required int LogErrors { get; init; }

    public required string? LogFolder { get; init; }

    /// <summary>Times the whole process stalled (timers a second or more late).</summary>
    public IReadOnlyList<(TimeSpan At, TimeSpan Length)> Stalls { get; init; } = [];

    /// <summary>Entries by session, in id order.</summary>
    public ILookup<string, ModelEntry> BySession => _bySession ??= Entries.ToLookup(entry => entry.SessionId);

    private ILookup<string, ModelEntry>? _bySession;
}
