using Akka.Actor;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Client;

/// <summary>
/// The outcome of <see cref="IRunnerClient.ReserveAsync"/> and, when <see cref="Status"/> is
/// <see cref="LeaseStatus.Active"/>, the handle of the run: publish its events, watch its
/// <see cref="CancellationToken"/>, finalize it. Expected outcomes (already running, queued, rejected) are statuses,
/// not exceptions.
/// </summary>
/// <remarks>
/// A lease is backed by a small executor actor passed as the reservation's executor: the session runner watches it and
/// delivers cancellation to it wherever the session lives, which is how <see cref="CancellationToken"/> fires for a
/// cancel issued on any node, an interrupting run, or a passed deadline. Disposing a lease that was never finalized
/// finalizes it — as cancelled if its token fired, else as <c>Error("lease disposed without outcome")</c> — and
/// withdraws a queued reservation, so no run leaks.
/// </remarks>
public sealed class RunLease : IAsyncDisposable
{
    /// <summary>Error recorded for a lease disposed while its run was active and not cancelled.</summary>
    public const string DisposedWithoutOutcome = "lease disposed without outcome";

    private readonly RunnerClient _client;
    private readonly object _gate = new();
    private readonly CancellationTokenSource _cancellation = new();
    private readonly TaskCompletionSource _reservation = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<LeaseStatus> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<RunResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task<RunResult>? _finalizing;
    private int _disposed;

    internal RunLease(RunnerClient client, string sessionId)
    {
        _client = client;
        SessionId = sessionId;
    }

    /// <summary>The session.</summary>
    public string SessionId { get; }

    /// <summary>Where the lease stands.</summary>
    /// <remarks>Starts as <see cref="LeaseStatus.Queued"/> while the reservation is under way; callers only see the lease
    /// once the session has answered.</remarks>
    public LeaseStatus Status { get; private set; } = LeaseStatus.Queued;

    /// <summary>
    /// This lease's run (<see cref="LeaseStatus.Active"/>, <see cref="LeaseStatus.Queued"/>, <see cref="LeaseStatus.Ended"/>),
    /// or, for <see cref="LeaseStatus.AlreadyRunning"/>, the run that is already active.
    /// </summary>
    public string? RunId { get; private set; }

    /// <summary>1-based queue position when the reservation was queued.</summary>
    public int? QueuePosition { get; private set; }

    /// <summary>Why the reservation was rejected or invalid.</summary>
    public string? Reason { get; private set; }

    /// <summary>When the run started.</summary>
    public DateTimeOffset? StartedAt { get; private set; }

    /// <summary>Fires when the run must stop: cancellation requested (by anyone, on any node), interrupted by a newer run,
    /// deadline passed, session stopped, its session runner was lost (the runner's node crashed), or the lease's executor
    /// actor stopped.</summary>
    public CancellationToken CancellationToken => _cancellation.Token;

    /// <summary>Why <see cref="CancellationToken"/> fired.</summary>
    public string? CancellationReason { get; private set; }

    /// <summary>Completes when the lease is no longer queued: <see cref="LeaseStatus.Active"/> once the run started, or the
    /// reason it never will (<see cref="LeaseStatus.Rejected"/>, ...).</summary>
    public Task<LeaseStatus> WhenStarted => _started.Task;

    /// <summary>Completes with the run's result once it has been finalized (by this lease) or refused.</summary>
    public Task<RunResult> Result => _completion.Task;

    /// <summary>Whether this lease currently owns a running run.</summary>
    public bool IsActive => Status == LeaseStatus.Active;

    internal IActorRef Executor { get; set; } = ActorRefs.Nobody;

    internal Task Reservation => _reservation.Task;

    /// <summary>
    /// Publishes a progress event for this run (fire-and-forget; ordered). Returns false, publishing nothing, when the
    /// lease no longer owns an active run. A run the session has fenced meanwhile fires <see cref="CancellationToken"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The event is not a valid progress event (e.g. a lifecycle event).</exception>
    public ValueTask<bool> PublishAsync(AgentEvent evt)
    {
        if (RunnerCommandValidator.Event(evt) is { } problem) throw new ArgumentException(problem, nameof(evt));
        string runId;
        lock (_gate)
        {
            if (Status != LeaseStatus.Active || _finalizing is not null) return ValueTask.FromResult(false);
            runId = RunId!;
        }
        // Sent with the lease's actor as sender: a fenced publish is answered StaleRun to it, which fires the token.
        _client.Supervisor.Tell(new Publish(SessionId, runId, evt), Executor);
        return ValueTask.FromResult(true);
    }

    /// <summary>Finalizes the run as completed.</summary>
    public Task<RunResult> CompleteAsync() => FinalizeAsync(RunOutcome.Completed);

    /// <summary>Finalizes the run from an exception: cancellation → cancelled, anything else → error with its message.</summary>
    public Task<RunResult> FailAsync(Exception exception) => FinalizeAsync(RunOutcome.FromException(exception));

    /// <summary>Finalizes the run as cancelled (the executor stopped because it was asked to).</summary>
    public Task<RunResult> CancelledAsync() => FinalizeAsync(RunOutcome.Cancelled);

    /// <summary>
    /// Finalizes the run with <paramref name="outcome"/>. Idempotent: later calls return the first call's result.
    /// </summary>
    /// <exception cref="InvalidOperationException">The lease never owned a run (not active, not ended).</exception>
    public Task<RunResult> FinalizeAsync(RunOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        lock (_gate)
        {
            if (_finalizing is not null) return _finalizing;
            if (Status != LeaseStatus.Active)
                throw new InvalidOperationException($"The lease of session '{SessionId}' is {Status}; only an active lease can be finalized.");
            return _finalizing = SendFinalizeAsync(RunId!, outcome);
        }
    }

    /// <summary>
    /// Ends the lease: an active run that was never finalized is finalized (cancelled if the token fired, else
    /// <c>Error("lease disposed without outcome")</c>); a queued reservation is withdrawn; the executor actor stops.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        try
        {
            LeaseStatus status;
            bool finalizing;
            lock (_gate)
            {
                status = Status;
                finalizing = _finalizing is not null;
            }
            if (status == LeaseStatus.Active && !finalizing)
            {
                await FinalizeAsync(_cancellation.IsCancellationRequested
                    ? RunOutcome.Cancelled
                    : RunOutcome.Failed(DisposedWithoutOutcome)).ConfigureAwait(false);
            }
            else if (status == LeaseStatus.Queued && RunId is { } queuedRunId)
            {
                var reply = await _client.CancelAsync(SessionId, queuedRunId, "lease disposed").ConfigureAwait(false);
                // The session also tells the executor actor, but that actor is about to stop: settle the lease here.
                if (reply is CancelRequested) OnRefused(LeaseStatus.Rejected, queuedRunId, "cancelled");
            }
            else if (_finalizing is { } pending)
            {
                await pending.ConfigureAwait(false);
            }
        }
        catch (Exception) when (_client.IsShuttingDown)
        {
            // The actor system is going away; the session ends the run when it sees the executor stop.
        }
        finally
        {
            // Stopping the executor is the backstop: if finalizing failed, the session sees it terminate and ends the run
            // as Error("executor lost").
            _client.System.Stop(Executor);
        }
    }

    private async Task<RunResult> SendFinalizeAsync(string runId, RunOutcome outcome)
    {
        IRunnerReply reply;
        try
        {
            reply = await _client.AskAsync(new Finalize(SessionId, runId, outcome), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            _completion.TrySetException(exception);
            throw;
        }
        var result = reply switch
        {
            Finalized f => new RunResult(SessionId, runId, LeaseStatus.Ended, f.Status, f.Error),
            // A lease finalizes once, so an already-final run was ended by the session (deadline, executor loss).
            AlreadyFinalized a => new RunResult(SessionId, runId, LeaseStatus.Ended, a.Status, null, Fenced: true),
            StaleRun => new RunResult(SessionId, runId, LeaseStatus.Ended, null, null, Fenced: true),
            _ => null,
        };
        if (result is null)
        {
            Exception failure = reply is Unavailable unavailable
                ? new RunnerUnavailableException(SessionId, unavailable.Reason)
                : new InvalidOperationException($"Unexpected reply to finalize: {reply}");
            _completion.TrySetException(failure);
            throw failure;
        }
        lock (_gate) Status = LeaseStatus.Ended;
        _completion.TrySetResult(result);
        return result;
    }

    // Called by the lease's executor actor, one message at a time.

    internal void OnReserved(Reserved reserved)
    {
        lock (_gate)
        {
            if (Status is not LeaseStatus.Queued) return;
            Status = LeaseStatus.Active;
            RunId = reserved.RunId;
            StartedAt = reserved.StartedAt;
        }
        _reservation.TrySetResult();
        _started.TrySetResult(LeaseStatus.Active);
    }

    internal void OnQueued(Queued queued)
    {
        lock (_gate)
        {
            RunId = queued.RunId;
            QueuePosition = queued.Position;
        }
        _reservation.TrySetResult();
    }

    internal void OnRefused(LeaseStatus status, string? runId, string? reason)
    {
        lock (_gate)
        {
            if (Status is not LeaseStatus.Queued) return;
            Status = status;
            RunId = runId ?? RunId;
            Reason = reason;
        }
        _reservation.TrySetResult();
        _started.TrySetResult(status);
        _completion.TrySetResult(new RunResult(SessionId, RunId, status, null, reason));
    }

    internal void OnCancel(string reason)
    {
        lock (_gate) CancellationReason ??= reason;
        try
        {
            _cancellation.Cancel();
        }
        catch (AggregateException)
        {
            // Exceptions thrown by user callbacks registered on the token must not crash the executor actor.
        }
    }

    internal void OnRunnerLost(string reason)
    {
        LeaseStatus status;
        lock (_gate) status = Status;
        if (status == LeaseStatus.Active) OnCancel(reason);
        else if (status == LeaseStatus.Queued && _reservation.Task.IsCompleted) OnRefused(LeaseStatus.Rejected, null, reason);
    }

    internal void OnExecutorStopped()
    {
        LeaseStatus status;
        lock (_gate) status = _finalizing is null ? Status : LeaseStatus.Ended;
        if (status == LeaseStatus.Active) OnCancel("executor stopped");
        else if (status == LeaseStatus.Queued && _reservation.Task.IsCompleted) OnRefused(LeaseStatus.Rejected, null, "executor stopped");
    }

    internal void OnReservationFailed(Exception exception) => _reservation.TrySetException(exception);
}
