using System.Collections.Concurrent;
using System.Diagnostics;
using Akka;
using Akka.Actor;
using Bamboo.Actors.Configuration;
using Bamboo.Actors.Events;
using Bamboo.Actors.History;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Client;

/// <summary>
/// <see cref="IRunnerClient"/> over a <see cref="Runners.RunnerSupervisor"/> (local or sharded). Thread-safe; register
/// one per ActorSystem (see <c>AddBambooRunnerClient</c>).
/// </summary>
public sealed class RunnerClient : IRunnerClient
{
    /// <summary>The reason of an <see cref="Unavailable"/> answer (or lease status) when the session did not answer
    /// within <see cref="ClientSettings.AskTimeout"/>.</summary>
    public const string NoAnswer = "the session did not answer in time";

    /// <summary>The reason of an <see cref="Unavailable"/> answer once the client's ActorSystem has terminated.</summary>
    public const string Terminated = "the actor system has terminated";

    private readonly ConcurrentDictionary<RunLease, byte> _leases = new();

    /// <summary>Creates a client for <paramref name="supervisor"/>, with settings from <paramref name="system"/>'s
    /// <c>bamboo.client</c> configuration unless given.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="system"/> or <paramref name="supervisor"/> is null.</exception>
    public RunnerClient(ActorSystem system, IActorRef supervisor, ClientSettings? settings = null)
    {
        System = system ?? throw new ArgumentNullException(nameof(system));
        Supervisor = supervisor ?? throw new ArgumentNullException(nameof(supervisor));
        Settings = settings ?? ClientSettings.Create(system);
        var grace = BambooConfig.RunnerSettings(system).ShutdownGrace;
        var sweep = TimeSpan.FromTicks(Math.Clamp(Settings.AskTimeout.Ticks / 8, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond));
        var sweeping = system.Scheduler.Advanced.ScheduleRepeatedlyCancelable(sweep, sweep, SweepOverdueAnswers);
        system.WhenTerminated.ContinueWith(_ => sweeping.Cancel(), TaskScheduler.Default);
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceRequestsDone, "bamboo-client-drain", async () =>
        {
            await DrainAsync("shutting down", grace).ConfigureAwait(false);
            return Done.Instance;
        });
    }

    /// <summary>
    /// Asks every run this client holds a lease for to cancel (queued ones are withdrawn) and waits up to
    /// <paramref name="grace"/> for them to finalize. Runs on CoordinatedShutdown; callable directly.
    /// </summary>
    /// <returns>How many leases were still unfinished when the grace ran out.</returns>
    public async Task<int> DrainAsync(string reason, TimeSpan grace)
    {
        var leases = _leases.Select(pair => pair.Key).ToList();
        foreach (var lease in leases) lease.RequestCancel(reason);
        await Task.WhenAny(Task.WhenAll(leases.Select(lease => lease.Result)), Task.Delay(grace)).ConfigureAwait(false);
        return leases.Count(lease => !lease.Result.IsCompleted);
    }

    internal ActorSystem System { get; }

    internal IActorRef Supervisor { get; }

    internal ClientSettings Settings { get; }

    /// <inheritdoc />
    public async Task<RunLease> ReserveAsync(string sessionId, ReserveOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= ReserveOptions.Default;
        var lease = new RunLease(this, sessionId);
        var reserve = ReserveOf(sessionId, options);
        if (RunnerCommandValidator.Validate(reserve) is { } problem)
        {
            lease.Refused(LeaseStatus.Invalid, null, problem);
            return lease;
        }
        if (System.WhenTerminated.IsCompleted)
        {
            lease.Refused(LeaseStatus.Unavailable, null, Terminated);
            return lease;
        }
        // Registered first, forgotten when its result is set (by its executor actor): a drain sees every lease.
        _leases.TryAdd(lease, 0);
        lease.Executor = System.ActorOf(LeaseActor.Props(lease, Supervisor, reserve, Settings.AskTimeout));
        try
        {
            // The executor actor gives up after the answer timeout itself (Unavailable): only the caller's token is awaited here.
            await (cancellationToken.CanBeCanceled ? lease.Answer.WaitAsync(cancellationToken) : lease.Answer).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Abandoned: should the reservation still be granted, the session sees its executor gone and ends the run.
            System.Stop(lease.Executor);
            throw;
        }
        return lease;
    }

    /// <inheritdoc />
    public async Task<RunLease> StartAsync(string sessionId, Func<RunContext, CancellationToken, Task> work,
        ReserveOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        var lease = await ReserveAsync(sessionId, options, cancellationToken).ConfigureAwait(false);
        if (lease.Status is LeaseStatus.Active or LeaseStatus.Queued)
            _ = ExecuteAsync(lease, work);
        return lease;
    }

    /// <inheritdoc />
    public async Task<RunResult> RunAsync(string sessionId, Func<RunContext, CancellationToken, Task> work,
        ReserveOptions? options = null, CancellationToken cancellationToken = default)
    {
        var lease = await StartAsync(sessionId, work, options, cancellationToken).ConfigureAwait(false);
        await using var registration = cancellationToken.Register(() => lease.RequestCancel("caller cancelled")).ConfigureAwait(false);
        return await lease.Result.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<IRunnerReply> CancelAsync(string sessionId, string? runId = null, string? reason = null,
        CancellationToken cancellationToken = default) =>
        RequestAsync(new Cancel(sessionId, runId, reason), cancellationToken);

    /// <inheritdoc />
    public Task<IRunnerReply> FinalizeAsync(string sessionId, string runId, RunOutcome outcome, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return RequestAsync(new Finalize(sessionId, runId, outcome), cancellationToken);
    }

    /// <inheritdoc />
    public Task<IRunnerReply> FinalizeAsync(string sessionId, string runId, RunOutcome outcome, string? output,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return RequestAsync(new Finalize(sessionId, runId, outcome, output), cancellationToken);
    }

    /// <inheritdoc />
    public Task<IRunnerReply> HeartbeatAsync(string sessionId, string runId, CancellationToken cancellationToken = default) =>
        RequestAsync(new Heartbeat(sessionId, runId), cancellationToken);

    /// <inheritdoc />
    public Task<IRunnerReply> DeleteSessionAsync(string sessionId, CancellationToken cancellationToken = default) =>
        RequestAsync(new DeleteSession(sessionId), cancellationToken);

    /// <inheritdoc />
    public Task<IRunnerReply> ListSessionsAsync(RunStatus? status = null, string? cursor = null, int limit = HistoryQueries.DefaultLimit,
        CancellationToken cancellationToken = default)
    {
        var (query, problem) = HistoryQueries.Sessions(status, cursor, limit);
        return problem is not null
            ? Task.FromResult<IRunnerReply>(new InvalidCommand(null, problem))
            : ReadHistoryAsync("", async store => await store.ListSessionsAsync(query!, cancellationToken).ConfigureAwait(false), cancellationToken);
    }

    /// <inheritdoc />
    public Task<IRunnerReply> ListRunsAsync(string sessionId, RunStatus? status = null, string? cursor = null, int limit = HistoryQueries.DefaultLimit,
        CancellationToken cancellationToken = default)
    {
        var (query, problem) = HistoryQueries.Runs(sessionId, status, cursor, limit);
        return problem is not null
            ? Task.FromResult<IRunnerReply>(new InvalidCommand(sessionId, problem))
            : ReadHistoryAsync(sessionId, async store => await store.ListRunsAsync(sessionId, query!, cancellationToken).ConfigureAwait(false),
                cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IRunnerReply> GetRunAsync(string sessionId, string runId, CancellationToken cancellationToken = default)
    {
        // The session first: it holds its current and queued runs, and its answer is never behind the read model's.
        var reply = await RequestAsync(new GetRun(sessionId, runId), cancellationToken).ConfigureAwait(false);
        if (reply is not UnknownRun) return reply;
        return await ReadHistoryAsync(sessionId,
            async store => await store.GetRunAsync(sessionId, runId, cancellationToken).ConfigureAwait(false) ?? (IRunnerReply)reply,
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IRunnerReply> WaitForRunAsync(string sessionId, string runId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (timeout < TimeSpan.Zero) return new InvalidCommand(sessionId, "timeout must not be negative");
        if (RunnerCommandValidator.Validate(new GetRun(sessionId, runId)) is { } problem) return new InvalidCommand(sessionId, problem);
        // An unknown or ended run, or no time to wait, is answered from its record alone, without subscribing.
        var record = await GetRunAsync(sessionId, runId, cancellationToken).ConfigureAwait(false);
        if (record is not RunRecord { Status: var first } || first.IsTerminal() || timeout == TimeSpan.Zero) return record;
        // Subscribed before the record is read again: an end published after that read is delivered, one before it is in
        // the record.
        await using var subscription = await OpenSubscriptionAsync(sessionId, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (subscription.Status != SubscriptionStatus.Live) return new Unavailable(sessionId, subscription.Reason ?? NoAnswer);
        record = await GetRunAsync(sessionId, runId, cancellationToken).ConfigureAwait(false);
        if (record is not RunRecord { Status: var status } || status.IsTerminal()) return record;

        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        waiting.CancelAfter(timeout);
        try
        {
            await foreach (var evt in subscription.ReadAllAsync(waiting.Token).ConfigureAwait(false))
            {
                if (evt is ExecutionFinished && evt.RunId == runId) break;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The timeout: the record as it is now.
        }
        return await GetRunAsync(sessionId, runId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The reason of an <see cref="Unavailable"/> answer to a query when the system has no read model.</summary>
    public const string NoReadModel = "this actor system has no read model (bamboo.history.store = none)";

    /// <summary>Reads the system's read model; a store that fails is <see cref="Unavailable"/>.</summary>
    private async Task<IRunnerReply> ReadHistoryAsync(string sessionId, Func<IHistoryStore, Task<IRunnerReply>> read, CancellationToken cancellationToken)
    {
        try
        {
            var store = await BambooHistory.Get(System).ReadyStoreAsync().ConfigureAwait(false);
            return store is null ? new Unavailable(sessionId, NoReadModel) : await read(store).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new Unavailable(sessionId, $"the read model is unavailable: {exception.Message}");
        }
    }

    /// <inheritdoc />
    public Task<IRunnerReply> PublishAsync(string sessionId, string runId, AgentEvent evt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(evt);
        return RequestAsync(new Publish(sessionId, runId, evt, Acknowledge: true), cancellationToken);
    }

    /// <inheritdoc />
    public Task<IRunnerReply> ReserveExternalAsync(string sessionId, ReserveOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= ReserveOptions.Default;
        return RequestAsync(ReserveOf(sessionId, options), cancellationToken);
    }

    private static Reserve ReserveOf(string sessionId, ReserveOptions options) => new(sessionId, options.OnConflict, Deadline: options.Deadline,
        Agent: options.Agent, Input: options.Metadata, IdempotencyKey: options.IdempotencyKey, HeartbeatTimeout: options.HeartbeatTimeout);

    /// <inheritdoc />
    public Task<IRunnerReply> GetStatusAsync(string sessionId, CancellationToken cancellationToken = default) =>
        RequestAsync(new GetStatus(sessionId), cancellationToken);

    /// <inheritdoc />
    public async IAsyncEnumerable<AgentEvent> SubscribeAsync(string sessionId, long? afterSequence = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var subscription = await OpenSubscriptionAsync(sessionId, afterSequence, cancellationToken).ConfigureAwait(false);
        await foreach (var evt in subscription.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            yield return evt;
    }

    /// <inheritdoc />
    public Task<IEventSubscription> OpenSubscriptionAsync(string sessionId, long? afterSequence = null,
        CancellationToken cancellationToken = default) =>
        EventSubscription.OpenAsync(this, sessionId, afterSequence, cancellationToken);

    /// <summary>
    /// One command, one answer: validated here (a malformed command is answered <see cref="InvalidCommand"/> without a
    /// message sent), then asked of the supervisor; no answer within the answer timeout is <see cref="Unavailable"/>.
    /// </summary>
    /// <remarks>
    /// Each call is an <c>Ask</c>: its temporary reply actor is what tells the answers of concurrent calls apart. Replies
    /// carry no request id, and several commands share reply types (<see cref="StaleRun"/>, <see cref="Unavailable"/>),
    /// so one long-lived actor could not match a late answer to its call. Leases, the hot path, ask nothing: their
    /// executor actor is the one recipient of their answers.
    /// </remarks>
    internal async Task<IRunnerReply> RequestAsync(IRunnerCommand command, CancellationToken cancellationToken)
    {
        if (RunnerCommandValidator.Validate(command) is { } problem) return new InvalidCommand(command.SessionId, problem);
        if (System.WhenTerminated.IsCompleted) return new Unavailable(command.SessionId, Terminated);
        try
        {
            return await Supervisor.Ask<IRunnerReply>(command, Settings.AskTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            return new Unavailable(command.SessionId, NoAnswer);
        }
    }

    /// <summary>
    /// Tells each lease's executor actor whose awaited answer is overdue (see <see cref="LeaseActor.AnswerOverdue"/>): one
    /// pass over the leases every eighth of the answer timeout (at most every second), instead of one scheduler
    /// registration per request. A timeout therefore fires up to one sweep late.
    /// </summary>
    private void SweepOverdueAnswers()
    {
        if (_leases.IsEmpty) return;
        var now = Stopwatch.GetTimestamp();
        // The dictionary's enumerator takes no lock (its Keys would take them all, against every reservation meanwhile).
        foreach (var (lease, _) in _leases)
        {
            var due = lease.AnswerDue;
            if (due != 0 && now >= due) lease.Executor.Tell(LeaseActor.AnswerOverdue.Instance);
        }
    }

    /// <summary>The lease has its result: it holds nothing more for a drain to cancel.</summary>
    internal void Forget(RunLease lease) => _leases.TryRemove(lease, out _);

    private static async Task ExecuteAsync(RunLease lease, Func<RunContext, CancellationToken, Task> work)
    {
        await using (lease.ConfigureAwait(false))
        {
            if (lease.Status == LeaseStatus.Queued && await lease.WhenStarted.ConfigureAwait(false) != LeaseStatus.Active)
                return;
            Exception? failure = null;
            try
            {
                await Task.Run(() => work(new RunContext(lease), lease.CancellationToken)).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                failure = exception;
            }
            // A value whatever happens (finalized, fenced or unavailable): Result carries it.
            await (failure is null ? lease.CompleteAsync() : lease.FailAsync(failure)).ConfigureAwait(false);
        }
    }
}
