using Bamboo.Actors.Protocol;

namespace Bamboo.Actors.Runners;

/// <summary>
/// The durable facts of a session: what a durable runner persists before it acknowledges a command, and replays on
/// recovery through <see cref="RunnerState{TRef}.Apply"/>. Progress events (token deltas, ...) are not facts: they stay in
/// the in-memory replay ring; the facts carry the statuses, run ids, times, errors, queue and kept diagnostics.
/// </summary>
/// <typeparam name="TRef">The handle of executors and reservers (<c>IActorRef</c> in the actor; refs survive serialization).</typeparam>
public abstract record RunnerFact<TRef> : IRunnerFact where TRef : class
{
    private RunnerFact()
    {
    }

    /// <summary>Run <paramref name="RunId"/> started (from a reservation or from the head of the queue).</summary>
    public sealed record RunStarted(string RunId, DateTimeOffset StartedAt, DateTimeOffset DeadlineAt, TRef? Executor) : RunnerFact<TRef>;

    /// <summary>Cancellation of the active run was requested.</summary>
    public sealed record CancelRequested(string RunId, string Reason) : RunnerFact<TRef>;

    /// <summary>The active run ended, with the diagnostics worth keeping.</summary>
    public sealed record RunEnded(string RunId, RunStatus Status, string? Error, DateTimeOffset CompletedAt,
        int RoundCount, string? LastToolName, ToolPhase? LastToolPhase) : RunnerFact<TRef>;

    /// <summary>A run was queued behind the active one.</summary>
    public sealed record RunEnqueued(string RunId, TRef? Executor, TRef? Reserver, TimeSpan? Deadline) : RunnerFact<TRef>;

    /// <summary>A queued run was withdrawn before it started.</summary>
    public sealed record QueuedRunWithdrawn(string RunId) : RunnerFact<TRef>;

    /// <summary>Event sequences up to <paramref name="UpTo"/> may be used. After recovery numbering continues above it,
    /// so sequences stay strictly increasing although progress events are not persisted.</summary>
    public sealed record SequencesReserved(long UpTo) : RunnerFact<TRef>;
}

/// <summary>Marker of <see cref="RunnerFact{TRef}"/> (for serializer bindings).</summary>
public interface IRunnerFact;

/// <summary>
/// A session's durable state at one point (a persistence snapshot): everything <see cref="RunnerFact{TRef}"/>s build.
/// </summary>
public sealed record DurableRunnerState<TRef>(
    RunStatus Status,
    string? RunId,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    string? Error,
    bool CancelRequested,
    TRef? Executor,
    DateTimeOffset? DeadlineAt,
    int RoundCount,
    string? LastToolName,
    ToolPhase? LastToolPhase,
    long ReservedSequence,
    IReadOnlyList<RunnerFact<TRef>.RunEnqueued> Queue) : IRunnerFact where TRef : class
{
    /// <summary>Value equality, the queue compared element by element.</summary>
    public bool Equals(DurableRunnerState<TRef>? other) =>
        other is not null
        && (Status, RunId, StartedAt, CompletedAt, Error, CancelRequested, DeadlineAt, RoundCount, LastToolName, LastToolPhase, ReservedSequence)
        == (other.Status, other.RunId, other.StartedAt, other.CompletedAt, other.Error, other.CancelRequested, other.DeadlineAt,
            other.RoundCount, other.LastToolName, other.LastToolPhase, other.ReservedSequence)
        && Equals(Executor, other.Executor)
        && Queue.SequenceEqual(other.Queue);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Status, RunId, StartedAt, ReservedSequence, Queue.Count);
}
