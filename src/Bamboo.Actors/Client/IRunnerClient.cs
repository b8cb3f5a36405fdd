using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Client;

/// <summary>
/// Typed async access to the session runners (local or sharded — the same calls work for both). Expected outcomes are
/// values, not exceptions: a refused reservation is a <see cref="RunLease"/> with a status, a fenced call is a
/// <see cref="StaleRun"/> reply. Exceptions mean the runners did not answer in time or the input was a programming error.
/// </summary>
public interface IRunnerClient
{
    /// <summary>
    /// Reserves a run. The lease is <see cref="LeaseStatus.Active"/> (it owns the run: publish, finalize, watch its token),
    /// <see cref="LeaseStatus.Queued"/> (await <see cref="RunLease.WhenStarted"/>), <see cref="LeaseStatus.AlreadyRunning"/>
    /// (its <see cref="RunLease.RunId"/> is the active run), <see cref="LeaseStatus.Rejected"/> or <see cref="LeaseStatus.Invalid"/>.
    /// Dispose it: that finalizes or withdraws whatever it still holds.
    /// </summary>
    Task<RunLease> ReserveAsync(string sessionId, ReserveOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reserves a run and starts <paramref name="work"/> in the background once the run starts (at once, or when a queued
    /// reservation's turn comes). The work's result is finalized with the seed's mapping: success → completed, cancellation
    /// → cancelled, any other exception → error. Returns the lease at once; <see cref="RunLease.Result"/> completes when the
    /// run has been finalized. The lease disposes itself.
    /// </summary>
    Task<RunLease> StartAsync(string sessionId, Func<RunContext, CancellationToken, Task> work, ReserveOptions? options = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Reserves, runs <paramref name="work"/>, finalizes, and returns how the run ended. Cancelling
    /// <paramref name="cancellationToken"/> requests cancellation of the run (it is published like any other cancel).
    /// </summary>
    Task<RunResult> RunAsync(string sessionId, Func<RunContext, CancellationToken, Task> work, ReserveOptions? options = null,
        CancellationToken cancellationToken = default);

    /// <summary>Requests cancellation of the session's active run, or of <paramref name="runId"/> (which may be queued).
    /// Replies <see cref="CancelRequested"/>, <see cref="NothingToCancel"/>, <see cref="StaleRun"/> or <see cref="InvalidCommand"/>.</summary>
    Task<IRunnerReply> CancelAsync(string sessionId, string? runId = null, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary>Finalizes <paramref name="runId"/> without a lease (an external worker). Replies <see cref="Finalized"/>,
    /// <see cref="StaleRun"/>, <see cref="AlreadyFinalized"/> or <see cref="InvalidCommand"/>.</summary>
    Task<IRunnerReply> FinalizeAsync(string sessionId, string runId, RunOutcome outcome, CancellationToken cancellationToken = default);

    /// <summary>Publishes a progress event for <paramref name="runId"/> without a lease, acknowledged: replies
    /// <see cref="Published"/> (with the sequence and whether cancellation was requested — a worker's heartbeat),
    /// <see cref="StaleRun"/> or <see cref="InvalidCommand"/>.</summary>
    Task<IRunnerReply> PublishAsync(string sessionId, string runId, AgentEvent evt, CancellationToken cancellationToken = default);

    /// <summary>Reserves a run for an external worker (no executor actor: bound it with a deadline). Replies
    /// <see cref="Reserved"/>, <see cref="AlreadyRunning"/>, <see cref="Queued"/>, <see cref="Rejected"/> or <see cref="InvalidCommand"/>.</summary>
    Task<IRunnerReply> ReserveExternalAsync(string sessionId, ReserveOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>The session's diagnostics. A session that never had a run is <see cref="RunStatus.Pending"/>.</summary>
    /// <exception cref="ArgumentException">The session id is not valid.</exception>
    Task<RunnerSnapshot> GetStatusAsync(string sessionId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The session's events: the replay (latest budget and last critical events, or — with
    /// <paramref name="afterSequence"/> — every retained later event, after a <see cref="ReplayGap"/> when some were
    /// evicted), then live events, until <paramref name="cancellationToken"/> is cancelled. The subscription is live when
    /// the first <c>MoveNextAsync</c> begins waiting. Memory is bounded: a consumer more than the configured buffer behind
    /// is resubscribed from its last sequence, so it sees a <see cref="ReplayGap"/> only if events were evicted meanwhile.
    /// When the session's runner is lost (cluster hand-off, node loss) the stream goes on with the session's next
    /// incarnation, from its first event: sequences start again at 1 there.
    /// </summary>
    IAsyncEnumerable<AgentEvent> SubscribeAsync(string sessionId, long? afterSequence = null, CancellationToken cancellationToken = default);

    /// <summary>Like <see cref="SubscribeAsync"/>, but returns once the subscription is live (so nothing published
    /// afterwards is missed); enumerate the returned stream to read the events, dispose it to unsubscribe.</summary>
    /// <exception cref="ArgumentException">The session id or cursor is not valid.</exception>
    Task<IEventSubscription> OpenSubscriptionAsync(string sessionId, long? afterSequence = null, CancellationToken cancellationToken = default);
}

/// <summary>A live subscription to a session's events (see <see cref="IRunnerClient.OpenSubscriptionAsync"/>).</summary>
public interface IEventSubscription : IAsyncDisposable
{
    /// <summary>The session.</summary>
    string SessionId { get; }

    /// <summary>The session's latest sequence when the subscription became live.</summary>
    long LastSequence { get; }

    /// <summary>The events, until <paramref name="cancellationToken"/> is cancelled or the subscription is disposed.</summary>
    IAsyncEnumerable<AgentEvent> ReadAllAsync(CancellationToken cancellationToken = default);

    /// <summary>Takes the next buffered event, if there is one (for consumers that batch, like an SSE writer).</summary>
    bool TryRead([System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out AgentEvent evt);

    /// <summary>Waits until <see cref="TryRead"/> has an event; false once the subscription is disposed.</summary>
    ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default);
}
