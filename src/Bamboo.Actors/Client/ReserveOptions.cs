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

    /// <summary>
    /// A retry with the same key (within <c>bamboo.runners.idempotency-window</c>, 24 h, even after a restart or a
    /// fail-over) gets the first start's run instead of a new one: a lease then has status
    /// <see cref="LeaseStatus.Duplicate"/>, an external reservation the first answer again (<c>Replayed</c>). The same key
    /// with other options is <see cref="LeaseStatus.Rejected"/> (<c>idempotency_key_reused</c>). At most 128 printable
    /// ASCII characters.
    /// </summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>A worker that sends nothing (event or heartbeat) for this long has its run ended as
    /// <c>Error("heartbeat timeout")</c>; none when null.</summary>
    public TimeSpan? HeartbeatTimeout { get; init; }

    /// <summary>The run's input as JSON text (one JSON value, at most 256 KiB), kept in its record: a managed run's input,
    /// a worker's metadata.</summary>
    public string? Metadata { get; init; }

    /// <summary>The agent that does the work, kept in the run's record; null for a worker or an embedded executor.</summary>
    public string? Agent { get; init; }
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
    /// <summary>A retry of an earlier start with the same <see cref="ReserveOptions.IdempotencyKey"/>:
    /// <see cref="RunLease.RunId"/> is that start's run (<see cref="RunLease.QueuePosition"/> set when it was queued),
    /// which the first start's executor owns. This lease holds nothing.</summary>
    Duplicate,
    /// <summary>
    /// The session could not record the reservation or the finalize (its journal is unavailable), or did not answer in
    /// time (<see cref="RunLease.Reason"/> says which). After a reservation: nothing is held (should the session grant it
    /// late, it ends the run as <c>Error("executor lost")</c>). After a finalize: the run's end is unknown here; the lease's
    /// executor has stopped, so the session ends a run it still has active the same way.
    /// </summary>
    Unavailable,
}

/// <summary>How a run ended, as recorded by its session.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="RunId">The run (null when the reservation was invalid).</param>
/// <param name="Reservation">How the lease ended: <see cref="LeaseStatus.Ended"/> for a run it finalized, else how the
/// reservation was refused (<see cref="LeaseStatus.AlreadyRunning"/>, <see cref="LeaseStatus.Rejected"/>,
/// <see cref="LeaseStatus.Invalid"/>), or <see cref="LeaseStatus.Unavailable"/> when the session could not be reached for
/// the reservation or the finalize.</param>
/// <param name="Status">The terminal status; null when the run never started, was fenced before this lease finalized it,
/// or its finalize went unanswered.</param>
/// <param name="Error">The error message for <see cref="RunStatus.Error"/>, or why the run never started or why its
/// finalize went unanswered.</param>
/// <param name="Fenced">The run had already been ended by someone else (interrupted, deadline, executor loss) when this lease finalized.</param>
public sealed record RunResult(string SessionId, string? RunId, LeaseStatus Reservation, RunStatus? Status, string? Error, bool Fenced = false);
