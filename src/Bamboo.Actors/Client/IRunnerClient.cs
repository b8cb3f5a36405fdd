using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Client;

/// <summary>
/// Typed async access to the session runners (local or sharded — the same calls work for both).
/// </summary>
/// <remarks>
/// <para>One rule for every method: <b>every outcome a caller must expect is a value; an exception is a programming
/// error</b> (or the caller's own cancellation).</para>
/// <list type="bullet">
/// <item>A malformed input that comes from outside — a session id, run id, event or cursor the session would refuse — is
/// <see cref="InvalidCommand"/>, <see cref="LeaseStatus.Invalid"/> or <see cref="SubscriptionStatus.Invalid"/>. Nothing is
/// sent for it.</item>
/// <item>A fenced call is <see cref="StaleRun"/>; a refused reservation is a lease with its status.</item>
/// <item>A session that cannot record the change (its journal is unavailable), that does not answer within
/// <see cref="ClientSettings.AskTimeout"/>, or a client whose ActorSystem has terminated, is <see cref="Unavailable"/>,
/// <see cref="LeaseStatus.Unavailable"/> or <see cref="SubscriptionStatus.Unavailable"/> (reason
/// <see cref="RunnerClient.NoAnswer"/> for the timeout). Nothing changed that the caller could rely on; the call may
/// be retried.</item>
/// <item>Exceptions: <see cref="ArgumentNullException"/> for a null argument that is required,
/// <see cref="ArgumentException"/> for an event a lease may not publish (a lifecycle event: code, not input, chose it),
/// <see cref="InvalidOperationException"/> for finalizing a lease that never owned a run, and
/// <see cref="OperationCanceledException"/> when the caller's own <c>cancellationToken</c> fires.</item>
/// </list>
/// </remarks>
public interface IRunnerClient
{
    /// <summary>
    /// Reserves a run. The lease is <see cref="LeaseStatus.Active"/> (it owns the run: publish, finalize, watch its token),
    /// <see cref="LeaseStatus.Queued"/> (await <see cref="RunLease.WhenStarted"/>), <see cref="LeaseStatus.AlreadyRunning"/>
    /// (its <see cref="RunLease.RunId"/> is the active run), <see cref="LeaseStatus.Rejected"/>, <see cref="LeaseStatus.Invalid"/>
    /// (bad session id or deadline) or <see cref="LeaseStatus.Unavailable"/> (not recorded, or no answer in time: nothing
    /// is held — a reservation granted after the timeout ends as <c>Error("executor lost")</c>), with
    /// <see cref="RunLease.Reason"/> saying why. Dispose it: that finalizes or withdraws whatever it still holds.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired before the session answered
    /// (the reservation is abandoned as for a timeout).</exception>
    Task<RunLease> ReserveAsync(string sessionId, ReserveOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reserves a run and starts <paramref name="work"/> in the background once the run starts (at once, or when a queued
    /// reservation's turn comes). The work's result is finalized with the seed's mapping: success → completed, cancellation
    /// → cancelled, any other exception → error. Returns the lease at once, with the statuses of <see cref="ReserveAsync"/>;
    /// <see cref="RunLease.Result"/> completes when the run has been finalized or refused. The lease disposes itself.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> is null.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired before the session answered.</exception>
    Task<RunLease> StartAsync(string sessionId, Func<RunContext, CancellationToken, Task> work, ReserveOptions? options = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Reserves, runs <paramref name="work"/>, finalizes, and returns how the run ended: a refused, invalid or unavailable
    /// reservation is a <see cref="RunResult"/> too (its <see cref="RunResult.Reservation"/> says which). Cancelling
    /// <paramref name="cancellationToken"/> once the session has answered requests cancellation of the run (it is
    /// published like any other cancel).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> is null.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired before the session answered.</exception>
    Task<RunResult> RunAsync(string sessionId, Func<RunContext, CancellationToken, Task> work, ReserveOptions? options = null,
        CancellationToken cancellationToken = default);

    /// <summary>Requests cancellation of the session's active run, or of <paramref name="runId"/> (which may be queued).
    /// Replies <see cref="CancelRequested"/>, <see cref="NothingToCancel"/>, <see cref="StaleRun"/>,
    /// <see cref="InvalidCommand"/> or <see cref="Unavailable"/>.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    Task<IRunnerReply> CancelAsync(string sessionId, string? runId = null, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary>Finalizes <paramref name="runId"/> without a lease (an external worker). Replies <see cref="Finalized"/>,
    /// <see cref="StaleRun"/>, <see cref="AlreadyFinalized"/>, <see cref="InvalidCommand"/> or <see cref="Unavailable"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="outcome"/> is null.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    Task<IRunnerReply> FinalizeAsync(string sessionId, string runId, RunOutcome outcome, CancellationToken cancellationToken = default);

    /// <summary>Finalizes <paramref name="runId"/> without a lease (an external worker), keeping <paramref name="output"/>
    /// (JSON text: one JSON value, at most 256 KiB) in the run's record. Replies as
    /// <see cref="FinalizeAsync(string, string, RunOutcome, CancellationToken)"/>; a malformed output is
    /// <see cref="InvalidCommand"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="outcome"/> is null.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    Task<IRunnerReply> FinalizeAsync(string sessionId, string runId, RunOutcome outcome, string? output, CancellationToken cancellationToken = default);

    /// <summary>An external worker of <paramref name="runId"/> says it is alive (what keeps a run with a heartbeat timeout
    /// going): replies <see cref="Published"/> (whether cancellation was requested), <see cref="StaleRun"/>,
    /// <see cref="InvalidCommand"/> or <see cref="Unavailable"/>.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    Task<IRunnerReply> HeartbeatAsync(string sessionId, string runId, CancellationToken cancellationToken = default);

    /// <summary>Deletes the session's history (its runs, events and read-model rows); its event numbering goes on. Replies
    /// <see cref="SessionDeleted"/>, <see cref="Rejected"/> (<c>session_busy</c>: a run is active or queued),
    /// <see cref="InvalidCommand"/> or <see cref="Unavailable"/>.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    Task<IRunnerReply> DeleteSessionAsync(string sessionId, CancellationToken cancellationToken = default);

    /// <summary>
    /// A page of sessions from the read model, newest activity first (the read model may lag the sessions by up to about
    /// a second). Replies <see cref="History.SessionPage"/> (pass its <c>NextCursor</c> for the next page),
    /// <see cref="InvalidCommand"/> (a limit outside 1–500, a cursor this list did not give out) or <see cref="Unavailable"/>
    /// (no read model, or its database failed).
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    Task<IRunnerReply> ListSessionsAsync(RunStatus? status = null, string? cursor = null, int limit = History.HistoryQueries.DefaultLimit,
        CancellationToken cancellationToken = default);

    /// <summary>A page of <paramref name="sessionId"/>'s runs from the read model, newest first. Replies
    /// <see cref="History.RunPage"/>, <see cref="InvalidCommand"/> or <see cref="Unavailable"/>, as
    /// <see cref="ListSessionsAsync"/>.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    Task<IRunnerReply> ListRunsAsync(string sessionId, RunStatus? status = null, string? cursor = null, int limit = History.HistoryQueries.DefaultLimit,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// The record of <paramref name="runId"/>: the session's own answer for its current, last and queued runs (strongly
    /// consistent), the read model's for older ones. Replies <see cref="RunRecord"/>, <see cref="UnknownRun"/>,
    /// <see cref="InvalidCommand"/> or <see cref="Unavailable"/>.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    Task<IRunnerReply> GetRunAsync(string sessionId, string runId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Waits until <paramref name="runId"/> has ended, at most <paramref name="timeout"/>, and returns its record — terminal,
    /// or as it is at the timeout. It subscribes to the session's events and waits for the run's <c>execution_finished</c>;
    /// nothing is polled. Replies <see cref="RunRecord"/>, <see cref="UnknownRun"/>, <see cref="InvalidCommand"/> or
    /// <see cref="Unavailable"/>.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    Task<IRunnerReply> WaitForRunAsync(string sessionId, string runId, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Publishes a progress event for <paramref name="runId"/> without a lease, acknowledged: replies
    /// <see cref="Published"/> (with the sequence and whether cancellation was requested — a worker's heartbeat),
    /// <see cref="StaleRun"/>, <see cref="InvalidCommand"/> (also for an event that is not a progress event) or
    /// <see cref="Unavailable"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="evt"/> is null.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    Task<IRunnerReply> PublishAsync(string sessionId, string runId, AgentEvent evt, CancellationToken cancellationToken = default);

    /// <summary>Reserves a run for an external worker (no executor actor: bound it with a deadline). Replies
    /// <see cref="Reserved"/>, <see cref="AlreadyRunning"/>, <see cref="Queued"/>, <see cref="Rejected"/>,
    /// <see cref="InvalidCommand"/> or <see cref="Unavailable"/> (a reservation granted after the timeout stays: its
    /// deadline ends it).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    Task<IRunnerReply> ReserveExternalAsync(string sessionId, ReserveOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>The session's diagnostics: replies <see cref="RunnerSnapshot"/> (a session that never had a run is
    /// <see cref="RunStatus.Pending"/>), <see cref="InvalidCommand"/> or <see cref="Unavailable"/>.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    Task<IRunnerReply> GetStatusAsync(string sessionId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The session's events: the replay (latest budget and last critical events, or — with
    /// <paramref name="afterSequence"/> — every retained later event, after a <see cref="ReplayGap"/> when some were
    /// evicted), then live events, until <paramref name="cancellationToken"/> is cancelled. The subscription is live when
    /// the first <c>MoveNextAsync</c> begins waiting. Memory is bounded: a consumer more than the configured buffer behind
    /// is resubscribed from its last sequence, so it sees a <see cref="ReplayGap"/> only if events were evicted meanwhile.
    /// When the session's runner is lost (cluster hand-off, node loss, failure) the stream goes on with the session's next
    /// incarnation: after the last sequence delivered when that incarnation numbers on the same node (numbering never goes
    /// backwards there), or from its first retained event when it lives on another node (an in-memory session numbers
    /// afresh there). The stream ends early, without an exception, when the subscription is not live:
    /// <see cref="OpenSubscriptionAsync"/> tells why.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    IAsyncEnumerable<AgentEvent> SubscribeAsync(string sessionId, long? afterSequence = null, CancellationToken cancellationToken = default);

    /// <summary>Like <see cref="SubscribeAsync"/>, but returns once the session has answered: a
    /// <see cref="SubscriptionStatus.Live"/> subscription misses nothing published afterwards (enumerate it to read the
    /// events, dispose it to unsubscribe); an <see cref="SubscriptionStatus.Invalid"/> (bad session id, negative cursor) or
    /// <see cref="SubscriptionStatus.Unavailable"/> one yields no events, and its <see cref="IEventSubscription.Reason"/>
    /// says why.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired before the session answered.</exception>
    Task<IEventSubscription> OpenSubscriptionAsync(string sessionId, long? afterSequence = null, CancellationToken cancellationToken = default);
}

/// <summary>Where an <see cref="IEventSubscription"/> stands.</summary>
public enum SubscriptionStatus
{
    /// <summary>Events arrive (the subscription follows its session to a new runner after a loss).</summary>
    Live,
    /// <summary>The session id or cursor was malformed; nothing was subscribed.</summary>
    Invalid,
    /// <summary>The session did not answer in time, at first or when the subscription had to resubscribe: no further
    /// events arrive (those already buffered can still be read).</summary>
    Unavailable,
}

/// <summary>A live subscription to a session's events (see <see cref="IRunnerClient.OpenSubscriptionAsync"/>).</summary>
public interface IEventSubscription : IAsyncDisposable
{
    /// <summary>The session.</summary>
    string SessionId { get; }

    /// <summary>The session's latest sequence when the subscription became live (0 when it never did).</summary>
    long LastSequence { get; }

    /// <summary>Whether events arrive; see <see cref="SubscriptionStatus"/>.</summary>
    SubscriptionStatus Status { get; }

    /// <summary>Why the subscription is not (or no longer) live.</summary>
    string? Reason { get; }

    /// <summary>The events, until <paramref name="cancellationToken"/> is cancelled, the subscription is disposed, or it is
    /// no longer live.</summary>
    IAsyncEnumerable<AgentEvent> ReadAllAsync(CancellationToken cancellationToken = default);

    /// <summary>Takes the next buffered event, if there is one (for consumers that batch, like an SSE writer).</summary>
    bool TryRead([System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out AgentEvent evt);

    /// <summary>Waits until <see cref="TryRead"/> has an event; false once the subscription is disposed, or is no longer
    /// live and every buffered event has been read.</summary>
    ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default);
}
