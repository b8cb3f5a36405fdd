using Akka.Actor;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerCommands;

namespace Bamboo.Actors.Client;

/// <summary>
/// The outcome of <see cref="IRunnerClient.ReserveAsync"/> and, when <see cref="Status"/> is
/// <see cref="LeaseStatus.Active"/>, the handle of the run: publish its events, watch its
/// <see cref="CancellationToken"/>, finalize it. Expected outcomes (already running, queued, rejected, invalid,
/// unavailable) are statuses, not exceptions. Thread-safe.
/// </summary>
/// <remarks>
/// A lease is a handle on a small executor actor passed as the reservation's executor: the session runner watches it and
/// delivers cancellation to it wherever the session lives, which is how <see cref="CancellationToken"/> fires for a
/// cancel issued on any node, an interrupting run, or a passed deadline. That actor owns the lease's state: finalize,
/// cancel and dispose are messages to it, a publish is sent on its behalf (it receives the answer), and everything read
/// here (status, run id, reason, the token, <see cref="WhenStarted"/>, <see cref="Result"/>) is what it last decided.
/// Disposing a lease that was never finalized finalizes it — as cancelled if its token fired, else as
/// <c>Error("lease disposed without outcome")</c> — and withdraws a queued reservation, so no run leaks.
/// </remarks>
public sealed class RunLease : IAsyncDisposable
{
    /// <summary>Error recorded for a lease disposed while its run was active and not cancelled.</summary>
    public const string DisposedWithoutOutcome = "lease disposed without outcome";

    private readonly RunnerClient _client;
    private readonly CancellationTokenSource _cancellation = new();
    private readonly TaskCompletionSource<LeaseStatus> _answered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<RunResult> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<LeaseStatus>? _started; // only for a queued lease
    private View _view = View.Reserving;
    private RunOutcome? _outcome;
    private string? _output;
    private int _executorGone;
    private int _orphanFinalize;
    private int _disposed;
    private long _answerDue;

    internal RunLease(RunnerClient client, string sessionId)
    {
        _client = client;
        SessionId = sessionId;
    }

    /// <summary>The session.</summary>
    public string SessionId { get; }

    /// <summary>Where the lease stands.</summary>
    /// <remarks>Starts as <see cref="LeaseStatus.Queued"/> while the reservation is under way; callers only see the lease
    /// once the session has answered. Stays <see cref="LeaseStatus.Active"/> while a finalize is under way.</remarks>
    public LeaseStatus Status => Volatile.Read(ref _view).Status;

    /// <summary>
    /// This lease's run (<see cref="LeaseStatus.Active"/>, <see cref="LeaseStatus.Queued"/>, <see cref="LeaseStatus.Ended"/>),
    /// or, for <see cref="LeaseStatus.AlreadyRunning"/>, the run that is already active.
    /// </summary>
    public string? RunId => Volatile.Read(ref _view).RunId;

    /// <summary>1-based queue position when the reservation was queued.</summary>
    public int? QueuePosition => Volatile.Read(ref _view).QueuePosition;

    /// <summary>Why the reservation was rejected, invalid or unavailable.</summary>
    public string? Reason => Volatile.Read(ref _view).Reason;

    /// <summary>When the run started.</summary>
    public DateTimeOffset? StartedAt => Volatile.Read(ref _view).StartedAt;

    /// <summary>Fires when the run must stop: cancellation requested (by anyone, on any node), interrupted by a newer run,
    /// deadline passed, session stopped, a publish was fenced, its session runner was lost with the run (the runner's node
    /// crashed, an in-memory session's runner failed), or the lease's executor actor stopped.</summary>
    public CancellationToken CancellationToken => _cancellation.Token;

    /// <summary>Why <see cref="CancellationToken"/> fired (the first reason).</summary>
    public string? CancellationReason => Volatile.Read(ref _view).CancellationReason;

    /// <summary>Completes when the lease is no longer queued: <see cref="LeaseStatus.Active"/> once the run started, or the
    /// reason it never will (<see cref="LeaseStatus.Rejected"/>, ...).</summary>
    public Task<LeaseStatus> WhenStarted => Volatile.Read(ref _started)?.Task ?? _answered.Task;

    /// <summary>Completes with the run's result once it has been finalized (by this lease) or refused; never faults.</summary>
    public Task<RunResult> Result => _result.Task;

    /// <summary>Whether this lease currently owns a running run.</summary>
    public bool IsActive => Status == LeaseStatus.Active;

    /// <summary>The lease's executor actor (nobody for a reservation refused before it was sent).</summary>
    internal IActorRef Executor { get; set; } = ActorRefs.Nobody;

    /// <summary>Completes with the session's first answer (or <see cref="LeaseStatus.Unavailable"/> when none came).</summary>
    internal Task<LeaseStatus> Answer => _answered.Task;

    internal bool CancellationRequested => _cancellation.IsCancellationRequested;

    /// <summary>When (<see cref="System.Diagnostics.Stopwatch"/> timestamp) the answer the executor actor awaits is
    /// overdue; 0 when it awaits none. Written by the actor, read by the client's sweep.</summary>
    internal long AnswerDue
    {
        get => Volatile.Read(ref _answerDue);
        set => Volatile.Write(ref _answerDue, value);
    }

    /// <summary>
    /// Publishes a progress event for this run (fire-and-forget; ordered). Returns false, publishing nothing, when the
    /// lease no longer owns an active run or its finalize was requested. A run the session has fenced meanwhile fires
    /// <see cref="CancellationToken"/>. An event whose write fails (a durable session's journal is unavailable) is lost;
    /// the run goes on.
    /// </summary>
    /// <exception cref="ArgumentException">The event is not a valid progress event (e.g. a lifecycle event).</exception>
    public ValueTask<bool> PublishAsync(AgentEvent evt)
    {
        if (RunnerCommandValidator.Event(evt) is { } problem) throw new ArgumentException(problem, nameof(evt));
        var view = Volatile.Read(ref _view);
        if (view.Status != LeaseStatus.Active || Volatile.Read(ref _outcome) is not null) return ValueTask.FromResult(false);
        // The one call not queued behind the executor actor: sent from the caller's thread on the actor's behalf (its
        // answer, a fence, goes to the actor), so it keeps its order with the caller's next call to the session — a status
        // query or a subscription that follows sees it — and still precedes this lease's finalize, which takes one hop more.
        _client.Supervisor.Tell(new Publish(SessionId, view.RunId!, evt), Executor);
        return ValueTask.FromResult(true);
    }

    /// <summary>Finalizes the run as completed (see <see cref="FinalizeAsync"/>), keeping <paramref name="output"/> (JSON text:
    /// one JSON value, at most 256 KiB) in the run's record.</summary>
    /// <exception cref="ArgumentException"><paramref name="output"/> is not one JSON value of at most 256 KiB.</exception>
    public Task<RunResult> CompleteAsync(string? output = null) => FinalizeAsync(RunOutcome.Completed, output);

    /// <summary>Finalizes the run from an exception: cancellation → cancelled, anything else → error with its message.</summary>
    public Task<RunResult> FailAsync(Exception exception) => FinalizeAsync(RunOutcome.FromException(exception));

    /// <summary>Finalizes the run as cancelled (the executor stopped because it was asked to).</summary>
    public Task<RunResult> CancelledAsync() => FinalizeAsync(RunOutcome.Cancelled);

    /// <summary>
    /// Finalizes the run with <paramref name="outcome"/>. Idempotent: later calls return the first call's result. The
    /// result is a value for every answer: <see cref="LeaseStatus.Ended"/> with the recorded status (<c>Fenced</c> when
    /// the session had already ended or superseded the run), or <see cref="LeaseStatus.Unavailable"/> when the session
    /// did not record it within the answer timeout (after retrying); the run's end is then unknown here, and the session
    /// ends a run still active as <c>Error("executor lost")</c> once this lease's executor stops.
    /// </summary>
    /// <param name="outcome">How the run ended.</param>
    /// <param name="output">The run's output (JSON text), kept in its record.</param>
    /// <exception cref="ArgumentNullException"><paramref name="outcome"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="output"/> is not one JSON value of at most 256 KiB.</exception>
    /// <exception cref="InvalidOperationException">The lease never owned a run (queued, refused, invalid, unavailable).</exception>
    public Task<RunResult> FinalizeAsync(RunOutcome outcome, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (RunnerCommandValidator.Json(output, "output") is { } problem) throw new ArgumentException(problem, nameof(output));
        if (Volatile.Read(ref _outcome) is not null) return Result;
        var view = Volatile.Read(ref _view);
        if (view.Status != LeaseStatus.Active)
            throw new InvalidOperationException($"The lease of session '{SessionId}' is {view.Status}; only an active lease can be finalized.");
        if (Interlocked.CompareExchange(ref _outcome, outcome, null) is null)
        {
            Volatile.Write(ref _output, output);
            Executor.Tell(new Finalize(SessionId, view.RunId!, outcome, output));
            // The executor actor may have stopped before it read that: then nobody else will finalize.
            if (Volatile.Read(ref _executorGone) == 1) FinalizeOrphan(outcome);
        }
        return Result;
    }

    /// <summary>
    /// Ends the lease: an active run that was never finalized is finalized (cancelled if the token fired, else
    /// <c>Error("lease disposed without outcome")</c>); a queued reservation is withdrawn; the executor actor stops.
    /// Completes once the lease has its <see cref="Result"/>. Never throws.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1 || Result.IsCompleted) return;
        if (Volatile.Read(ref _executorGone) == 1)
        {
            // The executor actor is gone (a queued lease was refused when it stopped): finalize what it left active.
            if (Status == LeaseStatus.Active) FinalizeOrphan(RequestOutcome(RunOutcome.Cancelled));
        }
        else
        {
            Executor.Tell(LeaseActor.Dispose.Instance);
            if (Volatile.Read(ref _executorGone) == 1 && Status == LeaseStatus.Active) FinalizeOrphan(RequestOutcome(RunOutcome.Cancelled));
        }
        await Result.ConfigureAwait(false);
    }

    /// <summary>Asks the session to cancel this lease's run (a queued one is withdrawn): its token fires when the session
    /// signals it. Does nothing once the lease has ended.</summary>
    internal void RequestCancel(string reason)
    {
        var view = Volatile.Read(ref _view);
        if (view.RunId is { } runId && view.Status is LeaseStatus.Active or LeaseStatus.Queued)
            Executor.Tell(new Cancel(SessionId, runId, reason));
    }

    /// <summary>Records <paramref name="outcome"/> as the finalize's outcome unless one was requested already; returns the
    /// one that counts.</summary>
    internal RunOutcome RequestOutcome(RunOutcome outcome) => Interlocked.CompareExchange(ref _outcome, outcome, null) ?? outcome;

    // Written by the lease's executor actor only, one message at a time: the one path from the actor to the caller.

    internal void Answered(string runId, int position)
    {
        _started = new TaskCompletionSource<LeaseStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _view, _view with { RunId = runId, QueuePosition = position });
        _answered.TrySetResult(LeaseStatus.Queued);
    }

    internal void Started(string runId, DateTimeOffset startedAt)
    {
        Volatile.Write(ref _view, _view with { Status = LeaseStatus.Active, RunId = runId, StartedAt = startedAt });
        _answered.TrySetResult(LeaseStatus.Active);
        _started?.TrySetResult(LeaseStatus.Active);
    }

    internal void Duplicated(string runId, int? position)
    {
        Volatile.Write(ref _view, _view with { Status = LeaseStatus.Duplicate, RunId = runId, QueuePosition = position, Reason = DuplicateReason });
        _answered.TrySetResult(LeaseStatus.Duplicate);
        _started?.TrySetResult(LeaseStatus.Duplicate);
        Complete(new RunResult(SessionId, runId, LeaseStatus.Duplicate, null, DuplicateReason));
    }

    /// <summary>The reason of a <see cref="LeaseStatus.Duplicate"/> lease.</summary>
    public const string DuplicateReason = "a retry of an earlier start with the same idempotency key";

    internal void Refused(LeaseStatus status, string? runId, string reason)
    {
        Volatile.Write(ref _view, _view with { Status = status, RunId = runId ?? _view.RunId, Reason = reason });
        _answered.TrySetResult(status);
        _started?.TrySetResult(status);
        Complete(new RunResult(SessionId, RunId, status, null, reason));
    }

    internal void Ended(RunResult result)
    {
        Volatile.Write(ref _view, _view with { Status = result.Reservation, Reason = result.Reservation == LeaseStatus.Ended ? _view.Reason : result.Error });
        Complete(result);
    }

    internal void Cancel(string reason)
    {
        if (_cancellation.IsCancellationRequested) return;
        Volatile.Write(ref _view, _view with { CancellationReason = reason });
        try
        {
            _cancellation.Cancel();
        }
        catch (AggregateException)
        {
            // Exceptions thrown by user callbacks registered on the token must not crash the executor actor.
        }
    }

    /// <summary>
    /// The executor actor stopped while the run was active or being finalized (the actor system shuts down, or the actor
    /// was stopped). The token fires; a finalize it had sent, or one requested that it never read, is sent once more from
    /// here, since there is no actor left to go through (finalize is idempotent by run id).
    /// </summary>
    internal void ExecutorGone(RunOutcome? sent)
    {
        Cancel(LeaseActor.ExecutorStopped);
        // Paired with the handle, which records a finalize or disposal first and then reads this flag: either side sees
        // the other, and FinalizeOrphan runs once.
        Interlocked.Exchange(ref _executorGone, 1);
        var outcome = sent ?? Volatile.Read(ref _outcome) ?? (Volatile.Read(ref _disposed) == 1 ? RequestOutcome(RunOutcome.Cancelled) : null);
        if (outcome is not null) FinalizeOrphan(outcome);
    }

    private void FinalizeOrphan(RunOutcome outcome)
    {
        if (Interlocked.Exchange(ref _orphanFinalize, 1) == 1) return;
        var runId = RunId!;
        _ = FinalizeWithoutExecutorAsync();
        return;

        async Task FinalizeWithoutExecutorAsync()
        {
            var output = ReferenceEquals(outcome, Volatile.Read(ref _outcome)) ? Volatile.Read(ref _output) : null;
            var reply = await _client.RequestAsync(new Finalize(SessionId, runId, outcome, output), CancellationToken.None).ConfigureAwait(false);
            var result = reply switch
            {
                RunnerReplies.Finalized f => new RunResult(SessionId, runId, LeaseStatus.Ended, f.Status, f.Error),
                RunnerReplies.AlreadyFinalized a => new RunResult(SessionId, runId, LeaseStatus.Ended, a.Status, null, Fenced: true),
                RunnerReplies.StaleRun => new RunResult(SessionId, runId, LeaseStatus.Ended, null, null, Fenced: true),
                RunnerReplies.Unavailable u => new RunResult(SessionId, runId, LeaseStatus.Unavailable, null, u.Reason),
                _ => new RunResult(SessionId, runId, LeaseStatus.Unavailable, null, $"unexpected reply to finalize: {reply.GetType().Name}"),
            };
            Ended(result);
        }
    }

    private void Complete(RunResult result)
    {
        if (_result.TrySetResult(result)) _client.Forget(this);
    }

    /// <summary>What the lease shows, replaced as a whole by its executor actor at each transition.</summary>
    private sealed record View(LeaseStatus Status, string? RunId, int? QueuePosition, string? Reason, DateTimeOffset? StartedAt,
        string? CancellationReason)
    {
        public static View Reserving { get; } = new(LeaseStatus.Queued, null, null, null, null, null);
    }
}
