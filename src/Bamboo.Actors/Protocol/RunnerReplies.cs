namespace Bamboo.Actors.Protocol;

/// <summary>Replies sent by a session runner (and, for bad input, by the supervisor).</summary>
public static class RunnerReplies
{
    /// <summary>A run was reserved and is now <see cref="RunStatus.Running"/>. <paramref name="Replayed"/>: the answer an
    /// earlier start with the same idempotency key got, given again — that start's executor, not this sender's, owns the
    /// run.</summary>
    public sealed record Reserved(string SessionId, string RunId, DateTimeOffset StartedAt, bool Replayed = false) : IRunnerReply, IWithSessionId;

    /// <summary>Refused under <see cref="ConflictPolicy.Reject"/>: <paramref name="RunId"/> is the run already active.</summary>
    public sealed record AlreadyRunning(string SessionId, string RunId) : IRunnerReply, IWithSessionId;

    /// <summary>Queued under <see cref="ConflictPolicy.Enqueue"/> at 1-based <paramref name="Position"/>.
    /// The same sender later receives <see cref="Reserved"/> (the run started) or <see cref="Rejected"/> (it never will).
    /// <paramref name="Replayed"/>: the answer an earlier start with the same idempotency key got, given again (its first
    /// sender, not this one, hears when the run starts).</summary>
    public sealed record Queued(string SessionId, string RunId, int Position, bool Replayed = false) : IRunnerReply, IWithSessionId;

    /// <summary>
    /// A reservation refused or withdrawn. Reasons: <c>queue_full</c>; <c>idempotency_key_reused</c> (the key's first
    /// start asked for something else; <paramref name="RunId"/> is that start's run); <c>session_busy</c> (a delete of
    /// a session with a run); and, for a queued run, <c>cancelled</c>, <c>executor lost</c> or the reason its session
    /// stopped (then <paramref name="RunId"/> is set).
    /// </summary>
    public sealed record Rejected(string SessionId, string Reason, string? RunId = null) : IRunnerReply, IWithSessionId;

    /// <summary>The run ended with <paramref name="Status"/>.</summary>
    public sealed record Finalized(string SessionId, string RunId, RunStatus Status, string? Error = null) : IRunnerReply, IWithSessionId;

    /// <summary>Fenced: <paramref name="RunId"/> is not the session's active run. <paramref name="CurrentRunId"/> is the
    /// session's current (or last) run, null when it never had one. Nothing changed.</summary>
    public sealed record StaleRun(string SessionId, string RunId, string? CurrentRunId) : IRunnerReply, IWithSessionId;

    /// <summary>A repeated finalize of the current run, which has already ended with <paramref name="Status"/>; unchanged.</summary>
    public sealed record AlreadyFinalized(string SessionId, string RunId, RunStatus Status) : IRunnerReply, IWithSessionId;

    /// <summary>Cancellation of <paramref name="RunId"/> was requested (a queued run is removed at once).</summary>
    public sealed record CancelRequested(string SessionId, string RunId) : IRunnerReply, IWithSessionId;

    /// <summary>No active run to cancel.</summary>
    public sealed record NothingToCancel(string SessionId) : IRunnerReply, IWithSessionId;

    /// <summary>Acknowledges a <see cref="RunnerCommands.Publish"/> with <c>Acknowledge = true</c>.</summary>
    public sealed record Published(string SessionId, string RunId, long Sequence, bool CancelRequested) : IRunnerReply, IWithSessionId;

    /// <summary>The subscription is live; replayed events follow, then live ones.</summary>
    /// <param name="SessionId">The session.</param>
    /// <param name="LastSequence">The session's latest event sequence when the subscription started (0: none yet).</param>
    /// <param name="Durable">The session's numbering is in its journal: it never goes backwards, whichever node the runner
    /// lives on (an in-memory session's numbering starts above its node's floor, so it may restart lower on another node).</param>
    public sealed record Subscribed(string SessionId, long LastSequence, bool Durable = false) : IRunnerReply, IWithSessionId;

    /// <summary>The subscriber no longer receives events.</summary>
    public sealed record Unsubscribed(string SessionId) : IRunnerReply, IWithSessionId;

    /// <summary>
    /// The session could not record the change durably (its journal is unavailable); nothing changed. Retry later.
    /// </summary>
    public sealed record Unavailable(string SessionId, string Reason) : IRunnerReply, IWithSessionId;

    /// <summary>
    /// A run's record (reply to <see cref="RunnerCommands.GetRun"/> for the run the session holds: its current or last
    /// run, or a queued one). <paramref name="Input"/> and <paramref name="Output"/> are JSON text.
    /// </summary>
    public sealed record RunRecord(
        string SessionId,
        string RunId,
        RunStatus Status,
        DateTimeOffset CreatedAt,
        DateTimeOffset? StartedAt,
        DateTimeOffset? EndedAt,
        string? Error,
        ConflictPolicy OnConflict,
        string? Agent,
        string? Input,
        string? Output,
        int RoundCount,
        string? LastToolName,
        long LastSequence,
        bool CancelRequested,
        string? CancelReason,
        string? CancelledBy,
        int? QueuePosition) : IRunnerReply, IWithSessionId
    {
        /// <summary>How long the run waited in the queue before it started.</summary>
        public TimeSpan? QueueWait => StartedAt - CreatedAt;
    }

    /// <summary>The session holds no run <paramref name="RunId"/> (an older run is found in the read model, if at all).</summary>
    public sealed record UnknownRun(string SessionId, string RunId) : IRunnerReply, IWithSessionId;

    /// <summary>The session's history was deleted (reply to <see cref="RunnerCommands.DeleteSession"/>).</summary>
    public sealed record SessionDeleted(string SessionId) : IRunnerReply, IWithSessionId;

    /// <summary>A malformed command. Nothing was created or changed.</summary>
    /// <param name="SessionId">The session id as given (may itself be the problem).</param>
    /// <param name="Reason">What is wrong, for a human.</param>
    public sealed record InvalidCommand(string? SessionId, string Reason) : IRunnerReply;

    /// <summary>A session's diagnostics (reply to <see cref="RunnerCommands.GetStatus"/>).</summary>
    public sealed record RunnerSnapshot(
        string SessionId,
        RunStatus Status,
        string? RunId,
        DateTimeOffset? StartedAt,
        DateTimeOffset? CompletedAt,
        string? Error,
        DateTimeOffset? LastEventAt,
        int RoundCount,
        string? LastToolName,
        ToolPhase? LastToolPhase,
        bool CancelRequested,
        int QueueLength,
        int SubscriberCount,
        long LastSequence,
        DateTimeOffset? DeadlineAt) : IRunnerReply, IWithSessionId;
}
