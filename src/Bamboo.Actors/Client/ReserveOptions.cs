using Bamboo.Actors.Protocol;

namespace Bamboo.Actors.Client;

/// <summary>How to reserve a run.</summary>
public sealed record ReserveOptions
{
    /// <summary>Reject while a run is active (the default).</summary>
    public static ReserveOptions Default { get; } = new();

    /// <summary>What to do while another run is active.</summary>
    public ConflictPolicy OnConflict { get; init; } = ConflictPolicy.Reject;

    /// <summary>The run's maximum total duration; the configured default when null.</summary>
    public TimeSpan? Deadline { get; init; }
}

/// <summary>Where a <see cref="RunLease"/> stands.</summary>
public enum LeaseStatus
{
    /// <summary>The run is running and this lease owns it.</summary>
    Active,
    /// <summary>The run waits behind the active one (<see cref="ConflictPolicy.Enqueue"/>); see <see cref="RunLease.WhenStarted"/>.</summary>
    Queued,
    /// <summary>Refused: another run is active; <see cref="RunLease.RunId"/> is that run.</summary>
    AlreadyRunning,
    /// <summary>Refused or withdrawn (<see cref="RunLease.Reason"/>: <c>queue_full</c>, <c>cancelled</c>, <c>executor lost</c>, ...).</summary>
    Rejected,
    /// <summary>The reservation was malformed (<see cref="RunLease.Reason"/> says why). Nothing was created.</summary>
    Invalid,
    /// <summary>The run has ended; see <see cref="RunLease.Result"/>.</summary>
    Ended,
}

/// <summary>How a run ended, as recorded by its session.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="RunId">The run (null when the reservation was invalid).</param>
/// <param name="Reservation">How the reservation went; <see cref="LeaseStatus.Ended"/> for a run that ran.</param>
/// <param name="Status">The terminal status; null when the run never started or was fenced before this lease finalized it.</param>
/// <param name="Error">The error message for <see cref="RunStatus.Error"/>, or why the run never started.</param>
/// <param name="Fenced">The run had already been ended by someone else (interrupted, deadline, executor loss) when this lease finalized.</param>
public sealed record RunResult(string SessionId, string? RunId, LeaseStatus Reservation, RunStatus? Status, string? Error, bool Fenced = false);
