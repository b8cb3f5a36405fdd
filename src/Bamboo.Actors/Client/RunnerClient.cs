using System.Collections.Concurrent;
using Akka;
using Akka.Actor;
using Bamboo.Actors.Configuration;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Routing;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Client;

/// <summary>
/// <see cref="IRunnerClient"/> over a <see cref="Runners.RunnerSupervisor"/> (local or sharded). Thread-safe; register
/// one per ActorSystem (see <c>AddBambooRunnerClient</c>).
/// </summary>
public sealed class RunnerClient : IRunnerClient
{
    /// <summary>Creates a client for <paramref name="supervisor"/>, with settings from <paramref name="system"/>'s
    /// <c>bamboo.client</c> configuration unless given.</summary>
    public RunnerClient(ActorSystem system, IActorRef supervisor, ClientSettings? settings = null)
    {
        System = system ?? throw new ArgumentNullException(nameof(system));
        Supervisor = supervisor ?? throw new ArgumentNullException(nameof(supervisor));
        Settings = settings ?? ClientSettings.Create(system);
        var runnerSettings = BambooConfig.RunnerSettings(system);
        _durableSessions = runnerSettings.Durable;
        var grace = runnerSettings.ShutdownGrace;
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceRequestsDone, "bamboo-client-drain", async () =>
        {
            await DrainAsync("shutting down", grace).ConfigureAwait(false);
            return Done.Instance;
        });
    }

    private readonly ConcurrentDictionary<RunLease, byte> _leases = new();
    private readonly bool _durableSessions;

    /// <summary>Whether sessions are durable (their event numbering survives a new incarnation).</summary>
    internal bool DurableSessions => _durableSessions;

    /// <summary>
    /// Asks every run this client holds a lease for to cancel (queued ones are withdrawn) and waits up to
    /// <paramref name="grace"/> for them to finalize. Runs on CoordinatedShutdown; callable directly.
    /// </summary>
    /// <returns>How many leases were still unfinished when the grace ran out.</returns>
    public async Task<int> DrainAsync(string reason, TimeSpan grace)
    {
        var leases = _leases.Keys.ToList();
        foreach (var lease in leases)
        {
            if (lease.RunId is { } runId && lease.Status is LeaseStatus.Active or LeaseStatus.Queued)
                _ = CancelAsync(lease.SessionId, runId, reason, CancellationToken.None);
        }
        var finished = Task.WhenAll(leases.Select(lease => lease.Result.ContinueWith(_ => { }, TaskScheduler.Default)));
        await Task.WhenAny(finished, Task.Delay(grace)).ConfigureAwait(false);
        return leases.Count(lease => !lease.Result.IsCompleted);
    }

    internal ActorSystem System { get; }

    internal IActorRef Supervisor { get; }

    internal ClientSettings Settings { get; }

    internal bool IsShuttingDown => System.WhenTerminated.IsCompleted || CoordinatedShutdown.Get(System).ShutdownReason is not null;

    /// <inheritdoc />
    public async Task<RunLease> ReserveAsync(string sessionId, ReserveOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= ReserveOptions.Default;
        var lease = new RunLease(this, sessionId);
        var reserve = new Reserve(sessionId, options.OnConflict, Deadline: options.Deadline);
        lease.Executor = System.ActorOf(LeaseActor.Props(lease, Supervisor, reserve, _durableSessions));
        try
        {
            await lease.Reservation.WaitAsync(Settings.AskTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Abandoned: should the reservation still be granted, the session sees its executor gone and ends the run.
            System.Stop(lease.Executor);
            throw;
        }
        if (lease.Status is LeaseStatus.Active or LeaseStatus.Queued && _leases.TryAdd(lease, 0))
            _ = lease.Result.ContinueWith(_ => _leases.TryRemove(lease, out byte _), TaskScheduler.Default);
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
        else
            await lease.DisposeAsync().ConfigureAwait(false);
        return lease;
    }

    /// <inheritdoc />
    public async Task<RunResult> RunAsync(string sessionId, Func<RunContext, CancellationToken, Task> work,
        ReserveOptions? options = null, CancellationToken cancellationToken = default)
    {
        var lease = await StartAsync(sessionId, work, options, cancellationToken).ConfigureAwait(false);
        await using var registration = cancellationToken.Register(() =>
        {
            if (lease.RunId is { } runId && lease.Status is LeaseStatus.Active or LeaseStatus.Queued)
                _ = CancelAsync(sessionId, runId, "caller cancelled", CancellationToken.None);
        }).ConfigureAwait(false);
        return await lease.Result.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<IRunnerReply> CancelAsync(string sessionId, string? runId = null, string? reason = null,
        CancellationToken cancellationToken = default) =>
        AskAsync(new Cancel(sessionId, runId, reason), cancellationToken);

    /// <inheritdoc />
    public Task<IRunnerReply> FinalizeAsync(string sessionId, string runId, RunOutcome outcome, CancellationToken cancellationToken = default) =>
        AskAsync(new Finalize(sessionId, runId, outcome), cancellationToken);

    /// <inheritdoc />
    public Task<IRunnerReply> PublishAsync(string sessionId, string runId, AgentEvent evt, CancellationToken cancellationToken = default) =>
        AskAsync(new Publish(sessionId, runId, evt, Acknowledge: true), cancellationToken);

    /// <inheritdoc />
    public Task<IRunnerReply> ReserveExternalAsync(string sessionId, ReserveOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= ReserveOptions.Default;
        return AskAsync(new Reserve(sessionId, options.OnConflict, Deadline: options.Deadline), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<RunnerSnapshot> GetStatusAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        if (SessionIds.Validate(sessionId) is { } problem) throw new ArgumentException(problem, nameof(sessionId));
        return await Supervisor.Ask<RunnerSnapshot>(new GetStatus(sessionId), Settings.AskTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<AgentEvent> SubscribeAsync(string sessionId, long? afterSequence = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var subscription = await OpenSubscriptionAsync(sessionId, afterSequence, cancellationToken).ConfigureAwait(false);
        await foreach (var evt in subscription.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            yield return evt;
    }

    /// <inheritdoc />
    public async Task<IEventSubscription> OpenSubscriptionAsync(string sessionId, long? afterSequence = null,
        CancellationToken cancellationToken = default)
    {
        if (SessionIds.Validate(sessionId) is { } problem) throw new ArgumentException(problem, nameof(sessionId));
        if (afterSequence < 0) throw new ArgumentOutOfRangeException(nameof(afterSequence), afterSequence, "must not be negative");
        return await EventSubscription.OpenAsync(this, sessionId, afterSequence, cancellationToken).ConfigureAwait(false);
    }

    internal Task<IRunnerReply> AskAsync(IRunnerCommand command, CancellationToken cancellationToken) =>
        Supervisor.Ask<IRunnerReply>(command, Settings.AskTimeout, cancellationToken);

    private static async Task ExecuteAsync(RunLease lease, Func<RunContext, CancellationToken, Task> work)
    {
        try
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
                await (failure is null ? lease.CompleteAsync() : lease.FailAsync(failure)).ConfigureAwait(false);
            }
        }
        catch (Exception)
        {
            // Finalizing failed (the runners did not answer): Result carries the exception, and disposing the lease stopped
            // its executor actor, so the session ends the run as Error("executor lost").
        }
    }
}
