using Akka.Actor;
using Bamboo.Actors.Events;

namespace Bamboo.Actors.Protocol;

/// <summary>Commands accepted by <see cref="Runners.RunnerSupervisor"/> and routed to the session's runner.</summary>
public static class RunnerCommands
{
    /// <summary>
    /// Reserve a run for the session. Replies <see cref="RunnerReplies.Reserved"/>,
    /// <see cref="RunnerReplies.AlreadyRunning"/>, <see cref="RunnerReplies.Queued"/> (followed later, to the same
    /// sender, by <see cref="RunnerReplies.Reserved"/> or <see cref="RunnerReplies.Rejected"/>) or
    /// <see cref="RunnerReplies.Rejected"/>.
    /// </summary>
    /// <param name="SessionId">The session.</param>
    /// <param name="OnConflict">What to do while another run is active.</param>
    /// <param name="Executor">The actor doing the run's work. It is watched (its death ends the run as
    /// <c>Error("executor lost")</c>) and receives <see cref="ExecutorSignals.CancelRun"/>.</param>
    /// <param name="Deadline">The run's maximum total duration; the configured default applies when null.</param>
    /// <param name="Agent">The built-in agent that does the work (a managed run), kept in the run's record; null for a
    /// worker or an embedded executor.</param>
    /// <param name="Input">JSON text kept in the run's record: a managed run's input, a reservation's metadata.</param>
    /// <param name="IdempotencyKey">A retry with the same key (within the idempotency window) gets the first answer again
    /// (same run); the same key with another request is <c>Rejected("idempotency_key_reused")</c>.</param>
    /// <param name="HeartbeatTimeout">A worker that sends nothing (event or <see cref="Heartbeat"/>) for this long has its
    /// run ended as <c>Error("heartbeat timeout")</c>.</param>
    public sealed record Reserve(
        string SessionId,
        ConflictPolicy OnConflict = ConflictPolicy.Reject,
        IActorRef? Executor = null,
        TimeSpan? Deadline = null,
        string? Agent = null,
        string? Input = null,
        string? IdempotencyKey = null,
        TimeSpan? HeartbeatTimeout = null) : IRunnerCommand;

    /// <summary>
    /// End the run <paramref name="RunId"/> with <paramref name="Outcome"/>. Fenced by run id: replies
    /// <see cref="RunnerReplies.Finalized"/>, <see cref="RunnerReplies.StaleRun"/> or <see cref="RunnerReplies.AlreadyFinalized"/>.
    /// </summary>
    public sealed record Finalize(string SessionId, string RunId, RunOutcome Outcome, string? Output = null) : IRunnerCommand;

    /// <summary>
    /// Request cooperative cancellation of the active run (or, with <paramref name="RunId"/>, of that run, which may
    /// be queued). Replies <see cref="RunnerReplies.CancelRequested"/>, <see cref="RunnerReplies.NothingToCancel"/>
    /// or <see cref="RunnerReplies.StaleRun"/>.
    /// </summary>
    public sealed record Cancel(string SessionId, string? RunId = null, string? Reason = null) : IRunnerCommand;

    /// <summary>
    /// Publish a progress event for run <paramref name="RunId"/>. The runner stamps session, run, sequence and time.
    /// Unacknowledged: no reply on success, <see cref="RunnerReplies.StaleRun"/> when fenced. With
    /// <paramref name="Acknowledge"/>, success is answered with <see cref="RunnerReplies.Published"/>, which tells the
    /// publisher whether cancellation was requested.
    /// </summary>
    public sealed record Publish(string SessionId, string RunId, AgentEvent Event, bool Acknowledge = false) : IRunnerCommand;

    /// <summary>Read the session's diagnostics. Replies <see cref="RunnerReplies.RunnerSnapshot"/>.</summary>
    public sealed record GetStatus(string SessionId) : IRunnerCommand;

    /// <summary>
    /// Deliver the session's events to <paramref name="Subscriber"/> (which is watched). Replies
    /// <see cref="RunnerReplies.Subscribed"/> to the sender, then sends the replay and every later event to the
    /// subscriber in sequence order. Without <paramref name="AfterSequence"/> the replay is the latest budget event and
    /// the last critical events; with it, every retained later event, preceded by <see cref="ReplayGap"/> when some were evicted.
    /// </summary>
    public sealed record Subscribe(string SessionId, IActorRef Subscriber, long? AfterSequence = null) : IRunnerCommand;

    /// <summary>Stop delivering to <paramref name="Subscriber"/>. Replies <see cref="RunnerReplies.Unsubscribed"/>.</summary>
    public sealed record Unsubscribe(string SessionId, IActorRef Subscriber) : IRunnerCommand;

    /// <summary>A worker of run <paramref name="RunId"/> is alive (fenced by run id). Replies
    /// <see cref="RunnerReplies.Published"/> (whether cancellation was requested) or <see cref="RunnerReplies.StaleRun"/>.</summary>
    public sealed record Heartbeat(string SessionId, string RunId) : IRunnerCommand;

    /// <summary>The record of run <paramref name="RunId"/> while the session holds it. Replies
    /// <see cref="RunnerReplies.RunRecord"/> or <see cref="RunnerReplies.UnknownRun"/>.</summary>
    public sealed record GetRun(string SessionId, string RunId) : IRunnerCommand;

    /// <summary>Delete the session's history. Replies <see cref="RunnerReplies.SessionDeleted"/>, or
    /// <see cref="RunnerReplies.Rejected"/> (<c>session_busy</c>) while it has a run.</summary>
    public sealed record DeleteSession(string SessionId) : IRunnerCommand;
}

/// <summary>Messages a session runner sends to a run's executor.</summary>
public static class ExecutorSignals
{
    /// <summary>
    /// The run should stop: cancellation was requested, the run was interrupted by a newer one, its deadline passed, or
    /// its session stopped. An executor that is already fenced (interrupted) will get <see cref="RunnerReplies.StaleRun"/>
    /// for anything it still sends.
    /// </summary>
    public sealed record CancelRun(string SessionId, string RunId, string Reason) : IWithSessionId;
}
