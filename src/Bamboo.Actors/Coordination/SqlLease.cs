using System.Diagnostics;
using Akka.Actor;
using Akka.Coordination;
using Akka.Event;

namespace Bamboo.Actors.Coordination;

/// <summary>
/// An Akka.Coordination <see cref="Lease"/> kept in a table of the journal's own database (SQLite or PostgreSQL), so
/// that two nodes that both believe they own a shard, even in two clusters formed by mistake, still meet at the one
/// store they share. Configure it as <c>lease-class</c> (see <c>hocon/lease.conf</c>, section
/// <c>bamboo.coordination.lease</c>) and name that section in <c>akka.cluster.sharding.use-lease</c> or the Split Brain
/// Resolver's <c>lease-majority.lease-implementation</c>; Akka's <see cref="LeaseProvider"/> creates it.
/// </summary>
/// <remarks>
/// <para>Acquire is one compare-and-set statement: take the row if it is free, already this owner's, or expired by the
/// database's clock. While held, the lease is renewed every heartbeat-interval (each renewal checks that the row is still
/// exactly what this holder last wrote, by owner and version). A renewal that finds the row changed loses the lease at
/// once; a database that cannot be reached loses it when the local validity runs out. Either way the lost callback runs
/// once and <see cref="CheckLease"/> turns false before the database would let anybody else take the row.</para>
/// <para>The owner name is what the caller passes. Sharding and the Split Brain Resolver pass the node's address
/// without its incarnation uid (<c>Address.HostPort()</c>, <c>system@host:port</c>), so a node restarted on the same
/// address is the same owner: it takes its own unexpired leases back at once instead of waiting for them to expire (the
/// Kubernetes lease grants the same). That is safe because a host:port is bound by one live process at a time: the
/// restarted process could bind the port only after the old one let it go, i.e. died, and a dead process neither writes
/// nor renews. Two live processes with one address are a misconfiguration (one public-hostname for several machines, a
/// Kubernetes StatefulSet pod force-deleted while its node is unreachable) that already breaks Akka remoting; even
/// then they exclude each other within a heartbeat-interval: the newcomer's acquire increases the version, and the
/// other's next renewal finds the row changed and loses the lease. Specs use the same rule with two ActorSystems in
/// one process.</para>
/// </remarks>
public sealed class SqlLease : Lease, IDisposable
{
    private readonly ILeaseStore _store;
    private readonly ILoggingAdapter _log;
    private readonly SqlLeaseSettings _sqlSettings;
    private readonly TimeSpan _timeToLive;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _operationTimeout;
    private readonly long _validityTicks;

    // One database operation at a time, in call order: a release queued after an acquire runs after it, and a renewal
    // never overlaps a release. Async waiters on SemaphoreSlim are served first come, first served.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SemaphoreSlim _databaseLimiter;
    private readonly CancellationTokenSource _terminated = new();
    private readonly object _sync = new();

    // Guarded by _sync. _validUntil (a Stopwatch timestamp) is also read without the lock by CheckLease: long.MinValue
    // whenever the lease is not held.
    private Holding? _holding;
    private long _validUntil = long.MinValue;
    private bool _stopped;
    private bool _tableReady;

    /// <summary>Creates the lease the way <see cref="LeaseProvider"/> does (<c>lease-class</c> in the lease's section).</summary>
    public SqlLease(LeaseSettings settings, ExtendedActorSystem system) : this(settings, system, null)
    {
    }

    /// <summary>As the public constructor, on a given store (specs put a failing database between lease and table).</summary>
    internal SqlLease(LeaseSettings settings, ExtendedActorSystem system, ILeaseStore? store) : base(settings)
    {
        _sqlSettings = SqlLeaseSettings.Create(settings);
        var timeouts = settings.TimeoutSettings;
        _timeToLive = timeouts.HeartbeatTimeout;
        _interval = timeouts.HeartbeatInterval;
        _operationTimeout = timeouts.OperationTimeout;
        _validityTicks = ToTicks(_timeToLive - _sqlSettings.SafetyMargin);
        _store = store ?? CreateStore(_sqlSettings, _operationTimeout);
        _databaseLimiter = DatabaseOperationLimiter.For(_sqlSettings.Database, _sqlSettings.ConnectionString, _sqlSettings.MaxConcurrentOperations);
        _log = Logging.GetLogger(system, typeof(SqlLease));
        // A terminated system renews nothing: the lease then expires in the database after heartbeat-timeout, as a
        // crashed node's would. Nothing is released here (a shard releases its own lease when it stops).
        system.RegisterOnTermination(Dispose);
    }

    /// <summary>The table settings in effect (for diagnostics and specs).</summary>
    internal SqlLeaseSettings SqlSettings => _sqlSettings;

    /// <summary>
    /// True only while this lease is held and the last successful renewal (or acquire) started less than
    /// heartbeat-timeout − safety-margin ago. Local and lock-free: no database round trip.
    /// </summary>
    public override bool CheckLease() => Stopwatch.GetTimestamp() < Volatile.Read(ref _validUntil);

    /// <inheritdoc cref="Acquire(Action{Exception})"/>
    public override Task<bool> Acquire() => Acquire(null);

    /// <summary>
    /// Takes the lease if it is free, already held by this owner (idempotent), or expired by the database's clock:
    /// true when held, false when another owner holds it. Fails with <see cref="LeaseTimeoutException"/> after
    /// lease-operation-timeout (the lease may then have been taken; acquiring again settles it) and with
    /// <see cref="LeaseException"/> when the database fails. <paramref name="leaseLostCallback"/> (may be null) runs
    /// once if the lease is lost later; a re-acquire replaces it.
    /// </summary>
    public override Task<bool> Acquire(Action<Exception>? leaseLostCallback) =>
        RunAsync("acquire", _operationTimeout, CancellationToken.None, token => AcquireCoreAsync(leaseLostCallback, token));

    /// <summary>
    /// Gives the lease back (clears the owner where the row is still this holder's) and stops renewing. True also when
    /// the lease was not held, as Akka's Azure lease and TestLease answer: there is nothing to give back, and sharding,
    /// which releases whenever a shard stops, would otherwise log an error for every shard that never got its lease.
    /// (The Kubernetes lease throws instead.) Fails with <see cref="LeaseException"/> when the database cannot be
    /// written; the lease is no longer held locally either way and expires in the database after heartbeat-timeout.
    /// </summary>
    public override Task<bool> Release() =>
        RunAsync("release", _operationTimeout, CancellationToken.None, ReleaseCoreAsync);

    /// <summary>Stops renewing without releasing (as when the system terminates): the lease expires in the database.</summary>
    public void Dispose()
    {
        Holding? holding;
        lock (_sync)
        {
            if (_stopped) return;
            _stopped = true;
            holding = Clear();
        }
        holding?.Heartbeat.Cancel();
        _terminated.Cancel();
    }

    private async Task<bool> AcquireCoreAsync(Action<Exception>? onLost, CancellationToken token)
    {
        await EnsureTableAsync(token);
        var started = Stopwatch.GetTimestamp();
        var version = await _store.TryAcquireAsync(Settings.LeaseName, Settings.OwnerName, _timeToLive, token);
        if (version is null)
        {
            // Only possible while held if our renewals were overtaken (the row expired and another owner took it).
            LoseIfHeld(new LeaseException($"Lease [{Settings.LeaseName}] is held by another owner."));
            _log.Debug("Lease [{0}] is held by another owner; [{1}] did not get it", Settings.LeaseName, Settings.OwnerName);
            return false;
        }
        // The caller gave up (timeout): do not hold what it will not use. The row expires, or our next acquire retakes it.
        token.ThrowIfCancellationRequested();

        Holding? fresh;
        lock (_sync)
        {
            if (_stopped) throw new LeaseException($"Lease [{Settings.LeaseName}]: the actor system terminated.");
            if (_holding is { } held)
            {
                held.Version = version.Value;
                held.OnLost = onLost;
                fresh = null;
            }
            else
            {
                _holding = new Holding(version.Value, onLost);
                fresh = _holding;
            }
            ExtendValidity(started);
        }
        if (fresh is not null)
        {
            _log.Info("Lease [{0}] acquired by [{1}]", Settings.LeaseName, Settings.OwnerName);
            _ = Task.Run(() => HeartbeatAsync(fresh, started));
        }
        return true;
    }

    private async Task<bool> ReleaseCoreAsync(CancellationToken token)
    {
        Holding? holding;
        lock (_sync) holding = Clear();
        if (holding is null) return true;
        holding.Heartbeat.Cancel();
        var cleared = await _store.ReleaseAsync(Settings.LeaseName, Settings.OwnerName, holding.Version, token);
        if (cleared) _log.Info("Lease [{0}] released by [{1}]", Settings.LeaseName, Settings.OwnerName);
        // Not cleared: somebody wrote the row since our last renewal, so it is not ours to clear.
        else _log.Warning("Lease [{0}] was no longer [{1}]'s when released", Settings.LeaseName, Settings.OwnerName);
        return true;
    }

    /// <summary>
    /// Renews every heartbeat-interval until released, lost or stopped. Wakes at the validity deadline at the latest, so
    /// the lost callback runs on time even while the database does not answer.
    /// </summary>
    private async Task HeartbeatAsync(Holding holding, long acquiredAt)
    {
        var stop = holding.Heartbeat.Token;
        var nextRenewal = acquiredAt + ToTicks(_interval);
        Exception? lastFailure = null;
        try
        {
            while (true)
            {
                var now = Stopwatch.GetTimestamp();
                var validUntil = Volatile.Read(ref _validUntil);
                if (now >= validUntil)
                {
                    Lose(holding, new LeaseTimeoutException(
                        $"Lease [{Settings.LeaseName}] could not be renewed by [{Settings.OwnerName}] for " +
                        $"{ToTimeSpan(_validityTicks).TotalMilliseconds:0} ms: {lastFailure?.Message ?? "no renewal completed"}",
                        lastFailure!));
                    return;
                }
                if (now < nextRenewal)
                {
                    await Task.Delay(ToTimeSpan(Math.Min(nextRenewal, validUntil) - now), stop);
                    continue;
                }

                // A renewal gets what is left of the validity at most: if the database answers later than that, the
                // lease is lost on time instead of an operation timeout later.
                var budget = ToTimeSpan(Math.Min(ToTicks(_operationTimeout), validUntil - now));
                try
                {
                    if (!await RunAsync("renew", budget, stop, token => RenewCoreAsync(holding, token)))
                    {
                        Lose(holding, new LeaseException(
                            $"Lease [{Settings.LeaseName}] was taken from [{Settings.OwnerName}]: the row changed since its last renewal."));
                        return;
                    }
                    lastFailure = null;
                    nextRenewal = Stopwatch.GetTimestamp() + ToTicks(_interval);
                }
                catch (LeaseException e) when (!stop.IsCancellationRequested)
                {
                    lastFailure = e is LeaseTimeoutException ? e : e.InnerException ?? e;
                    _log.Warning("Lease [{0}] renewal by [{1}] failed, retrying: {2}", Settings.LeaseName, Settings.OwnerName, lastFailure.Message);
                    nextRenewal = Stopwatch.GetTimestamp() + ToTicks(_interval);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Released, lost or stopped.
        }
        catch (LeaseException) when (stop.IsCancellationRequested)
        {
            // Stopped during a renewal.
        }
        catch (Exception e)
        {
            // Nothing else is expected; a heartbeat that cannot go on must not leave the lease looking held.
            _log.Error(e, "Lease [{0}] heartbeat failed", Settings.LeaseName);
            Lose(holding, new LeaseException($"Lease [{Settings.LeaseName}] heartbeat failed: {e.Message}", e));
        }
    }

    /// <summary>One renewal: false when the row is no longer this holder's, true when renewed (or no longer held here).</summary>
    private async Task<bool> RenewCoreAsync(Holding holding, CancellationToken token)
    {
        long version;
        lock (_sync)
        {
            if (!ReferenceEquals(_holding, holding)) return true;
            version = holding.Version;
        }
        var started = Stopwatch.GetTimestamp();
        var renewed = await _store.RenewAsync(Settings.LeaseName, Settings.OwnerName, version, _timeToLive, token);
        if (renewed is null) return false;
        lock (_sync)
        {
            if (ReferenceEquals(_holding, holding))
            {
                holding.Version = renewed.Value;
                ExtendValidity(started);
            }
        }
        return true;
    }

    private void LoseIfHeld(Exception reason)
    {
        Holding? holding;
        lock (_sync) holding = _holding;
        if (holding is not null) Lose(holding, reason);
    }

    /// <summary>Ends <paramref name="holding"/> and runs its lost callback, once, unless it ended already.</summary>
    private void Lose(Holding holding, Exception reason)
    {
        lock (_sync)
        {
            if (!ReferenceEquals(_holding, holding)) return;
            Clear();
        }
        holding.Heartbeat.Cancel();
        _log.Warning("Lease [{0}] lost by [{1}]: {2}", Settings.LeaseName, Settings.OwnerName, reason.Message);
        try
        {
            holding.OnLost?.Invoke(reason);
        }
        catch (Exception e)
        {
            _log.Error(e, "Lease [{0}]: the lease-lost callback failed", Settings.LeaseName);
        }
    }

    /// <summary>Not held any more (caller holds <c>_sync</c>); the holding that ended, if any.</summary>
    private Holding? Clear()
    {
        var holding = _holding;
        _holding = null;
        Volatile.Write(ref _validUntil, long.MinValue);
        return holding;
    }

    /// <summary>Valid until <paramref name="started"/> + heartbeat-timeout − safety-margin (caller holds <c>_sync</c>).</summary>
    private void ExtendValidity(long started)
    {
        // The database set expires_at from its clock after this moment, so this deadline comes before the database's.
        var until = started + _validityTicks;
        if (until > _validUntil) Volatile.Write(ref _validUntil, until);
    }

    private async Task EnsureTableAsync(CancellationToken token)
    {
        if (_tableReady || !_sqlSettings.AutoInitialize) return;
        await _store.EnsureTableAsync(token);
        _tableReady = true;
    }

    /// <summary>
    /// Runs <paramref name="operation"/> after the operations of this lease queued before it, when the database has room
    /// (<see cref="DatabaseOperationLimiter"/>), on the thread pool (SQLite's driver blocks; a caller may be an actor),
    /// bounded by <paramref name="timeout"/> including the waits for its turn. A
    /// timeout surfaces as <see cref="LeaseTimeoutException"/>, a database failure as <see cref="LeaseException"/>.
    /// </summary>
    private async Task<T> RunAsync<T>(string what, TimeSpan timeout, CancellationToken stop, Func<CancellationToken, Task<T>> operation)
    {
        var cancellation = CancellationTokenSource.CreateLinkedTokenSource(stop, _terminated.Token);
        cancellation.CancelAfter(timeout);
        var token = cancellation.Token;
        Task<T>? work = null;
        try
        {
            if (_terminated.IsCancellationRequested)
                throw new LeaseException($"Lease [{Settings.LeaseName}]: the actor system terminated.");
            await _gate.WaitAsync(token);
            // The turn passes on only when the operation has really finished, also after the caller stopped waiting.
            work = Task.Run(async () =>
            {
                try
                {
                    await _databaseLimiter.WaitAsync(token);
                    try
                    {
                        return await operation(token);
                    }
                    finally
                    {
                        _databaseLimiter.Release();
                    }
                }
                finally
                {
                    _gate.Release();
                }
            }, CancellationToken.None);
            return await work.WaitAsync(token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            throw; // the heartbeat was stopped: not a timeout
        }
        catch (OperationCanceledException e) when (_terminated.IsCancellationRequested)
        {
            throw new LeaseException($"Lease [{Settings.LeaseName}]: the actor system terminated during {what}.", e);
        }
        catch (OperationCanceledException e) when (cancellation.IsCancellationRequested)
        {
            throw new LeaseTimeoutException(
                $"Timed out after {timeout.TotalMilliseconds:0} ms trying to {what} lease [{Settings.LeaseName}] for [{Settings.OwnerName}]. It may still be taken.", e);
        }
        catch (Exception e) when (e is not LeaseException)
        {
            throw new LeaseException($"Could not {what} lease [{Settings.LeaseName}] for [{Settings.OwnerName}]: {e.Message}", e);
        }
        finally
        {
            // The linked source holds a registration on _terminated: dispose it, but not under an operation still running.
            if (work is null) cancellation.Dispose();
            else _ = work.ContinueWith(t => { _ = t.Exception; cancellation.Dispose(); }, TaskScheduler.Default);
        }
    }

    internal static ILeaseStore CreateStore(SqlLeaseSettings settings, TimeSpan operationTimeout) => settings.Database switch
    {
        SqlLeaseDatabase.Sqlite => new SqliteLeaseStore(settings.ConnectionString, settings.TableName, operationTimeout),
        _ => new PostgreSqlLeaseStore(settings.ConnectionString, settings.TableName, operationTimeout),
    };

    private static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private static TimeSpan ToTimeSpan(long stopwatchTicks) => TimeSpan.FromSeconds(Math.Max(0, stopwatchTicks) / (double)Stopwatch.Frequency);

    /// <summary>One tenure of the lease, from acquire to release or loss (mutable only under <c>_sync</c>).</summary>
    private sealed class Holding(long version, Action<Exception>? onLost)
    {
        public long Version { get; set; } = version;

        public Action<Exception>? OnLost { get; set; } = onLost;

        public CancellationTokenSource Heartbeat { get; } = new();
    }
}
