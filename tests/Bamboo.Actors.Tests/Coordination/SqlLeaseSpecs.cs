using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Coordination;
using Bamboo.Actors.Configuration;
using Bamboo.Actors.Coordination;
using Xunit.Abstractions;

namespace Bamboo.Actors.Tests.Coordination;

/// <summary>
/// <see cref="SqlLease"/> on a real database, created the way sharding creates it (<see cref="LeaseProvider"/> and the
/// <c>bamboo.coordination.lease</c> section), with timeouts short enough to watch leases expire: heartbeat-timeout 2s,
/// heartbeat-interval 200ms, operations 1s (a cold first connection on a loaded machine needs some), safety margin 25%
/// (a holder trusts its lease for 1.5s after a renewal started).
/// </summary>
public abstract class SqlLeaseSpecs : Akka.TestKit.Xunit2.TestKit
{
    private const string ConfigPath = SqlLeaseHocon.ConfigPath;
    // Same lease, more patient operations: many contenders on one row (SQLite queues its writers).
    private const string PatientConfigPath = "bamboo.coordination.patient-lease";
    private static readonly TimeSpan TimeToLive = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Validity = TimeSpan.FromMilliseconds(1500);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
    // Clocks read at different places (database, Stopwatch) and rounding (SQLite keeps milliseconds).
    private static readonly TimeSpan ClockTolerance = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly LeaseTestDatabase _database;
    private readonly string _leaseName = "spec-" + Guid.NewGuid().ToString("N");

    protected SqlLeaseSpecs(LeaseTestDatabase database, ITestOutputHelper output)
        : base(SystemConfig(database), "lease-spec", output)
    {
        _database = database;
        if (database.Unavailable is { } reason) output.WriteLine($"Specs on {database.Provider} skipped: {reason}");
        database.Prepare();
    }

    [SkippableFact]
    public async Task Should_hold_the_lease_from_acquire_until_release()
    {
        SkipUnavailable();
        var lease = Lease("node-a");
        Assert.False(lease.CheckLease());

        Assert.True(await lease.Acquire());

        Assert.True(lease.CheckLease());
        Assert.Equal("node-a", (await _database.ReadAsync(_leaseName))?.Owner);

        Assert.True(await lease.Release());

        Assert.False(lease.CheckLease());
        var row = await _database.ReadAsync(_leaseName);
        Assert.NotNull(row);
        Assert.Null(row.Value.Owner);
        // Releasing what is not held succeeds: there is nothing to give back.
        Assert.True(await lease.Release());
    }

    [SkippableFact]
    public async Task Should_let_one_owner_at_a_time_hold_the_lease_and_the_other_take_it_after_release()
    {
        SkipUnavailable();
        var a = Lease("node-a");
        var b = Lease("node-b");

        Assert.True(await a.Acquire());
        Assert.False(await b.Acquire());
        Assert.False(b.CheckLease());
        Assert.True(a.CheckLease());

        Assert.True(await a.Release());
        Assert.True(await b.Acquire());

        Assert.False(await a.Acquire());
        Assert.True(b.CheckLease());
        Assert.False(a.CheckLease());
        Assert.Equal("node-b", (await _database.ReadAsync(_leaseName))?.Owner);
    }

    [SkippableFact]
    public async Task Should_acquire_again_idempotently_for_the_same_owner()
    {
        SkipUnavailable();
        var a = Lease("node-a");
        var b = Lease("node-b");
        Assert.True(await a.Acquire());
        var first = (await _database.ReadAsync(_leaseName))!.Value;

        Assert.True(await a.Acquire());

        var second = (await _database.ReadAsync(_leaseName))!.Value;
        Assert.Equal(("node-a", true), (second.Owner, second.Version > first.Version));
        Assert.True(a.CheckLease());
        Assert.False(await b.Acquire());
        Assert.True(await a.Release());
        Assert.True(await b.Acquire());
    }

    [SkippableFact]
    public async Task Should_let_another_node_take_a_crashed_holders_lease_only_after_it_expires()
    {
        SkipUnavailable();
        // Two ActorSystems, as two nodes: the holder's system terminates without releasing, as a killed node would.
        var holderSystem = ActorSystem.Create("lease-holder", SystemConfig(_database));
        var holder = LeaseProvider.Get(holderSystem).GetLease(_leaseName, ConfigPath, "node-a");
        var other = Lease("node-b");
        var beforeAcquire = Stopwatch.GetTimestamp();
        Assert.True(await holder.Acquire());

        await holderSystem.Terminate();
        var terminated = Stopwatch.GetTimestamp();
        Assert.False(holder.CheckLease());
        Assert.False(await other.Acquire());

        var taken = await PollAsync(() => other.Acquire(), TimeSpan.FromSeconds(5));

        // The database let the lease go no earlier than heartbeat-timeout after the holder's last write (which came
        // after beforeAcquire): the safety bound. And soon after the expiry: the bound allows for polling and for a
        // loaded machine's scheduling (CI runs the test projects side by side on two cores).
        Assert.True(Stopwatch.GetElapsedTime(beforeAcquire, taken) >= TimeToLive - ClockTolerance,
            $"taken {Stopwatch.GetElapsedTime(beforeAcquire, taken).TotalMilliseconds:0} ms after the holder acquired it");
        Assert.True(Stopwatch.GetElapsedTime(terminated, taken) <= TimeToLive + TimeSpan.FromSeconds(3),
            $"taken {Stopwatch.GetElapsedTime(terminated, taken).TotalMilliseconds:0} ms after the holder stopped");
        Assert.True(other.CheckLease());
    }

    [SkippableFact]
    public async Task Should_let_a_node_restarted_on_the_same_address_take_its_lease_at_once_and_the_old_incarnation_lose_it()
    {
        SkipUnavailable();
        // Sharding names the owner by address without incarnation: a restarted node is the owner it replaces.
        var oldProbe = CreateTestProbe();
        var old = Lease("node-a");
        Assert.True(await old.Acquire(reason => oldProbe.Ref.Tell(reason)));
        var restartedSystem = ActorSystem.Create("lease-restarted", SystemConfig(_database));
        try
        {
            var restarted = LeaseProvider.Get(restartedSystem).GetLease(_leaseName, ConfigPath, "node-a");
            var before = Stopwatch.GetTimestamp();

            Assert.True(await restarted.Acquire());

            Assert.True(Stopwatch.GetElapsedTime(before) < TimeToLive / 2, "the restarted node waited for its own lease to expire");
            // Were the old incarnation still alive, its next renewal would find the row rewritten.
            await oldProbe.ExpectMsgAsync<LeaseException>(TimeSpan.FromSeconds(5));
            Assert.False(old.CheckLease());
            Assert.True(restarted.CheckLease());
            Assert.False(await Lease("node-b").Acquire());
        }
        finally
        {
            await restartedSystem.Terminate();
        }
    }

    [SkippableFact]
    public async Task Should_lose_the_lease_once_when_another_owner_writes_its_row()
    {
        SkipUnavailable();
        var lease = Lease("node-a");
        var probe = CreateTestProbe();
        Assert.True(await lease.Acquire(reason => probe.Ref.Tell(reason)));

        // As a node would after the lease expired by the database's clock (the holder's renewals stalled meanwhile).
        await _database.TakeOverAsync(_leaseName, "node-b");

        var reason = await probe.ExpectMsgAsync<LeaseException>(TimeSpan.FromSeconds(5));
        Assert.Contains("taken", reason.Message);
        Assert.False(lease.CheckLease());
        await probe.ExpectNoMsgAsync(Interval * 4);
        Assert.False(await lease.Acquire());
        Assert.Equal("node-b", (await _database.ReadAsync(_leaseName))?.Owner);
    }

    [SkippableFact]
    public async Task Should_lose_the_lease_before_anybody_can_take_it_when_the_database_is_unreachable_longer_than_the_validity()
    {
        SkipUnavailable();
        var (lease, store) = SwitchableLease("node-a");
        var other = Lease("node-b");
        var probe = CreateTestProbe();
        Assert.True(await lease.Acquire(reason => probe.Ref.Tell(reason)));
        await PollAsync(() => Task.FromResult(store.LastRenewalStarted != 0), TimeSpan.FromSeconds(5));

        store.Reachable = false;

        var reason = await probe.ExpectMsgAsync<LeaseTimeoutException>(TimeSpan.FromSeconds(5));
        var lost = Stopwatch.GetTimestamp();
        Assert.False(lease.CheckLease());
        Assert.True(store.FailedRenewals > 0);
        Assert.NotNull(reason.InnerException);
        // Lost when the last successful renewal's validity ran out, not before...
        var sinceRenewal = Stopwatch.GetElapsedTime(store.LastRenewalStarted, lost);
        Assert.True(sinceRenewal >= Validity - ClockTolerance, $"lost {sinceRenewal.TotalMilliseconds:0} ms after the last renewal");
        Assert.True(sinceRenewal <= Validity + TimeSpan.FromMilliseconds(400), $"lost {sinceRenewal.TotalMilliseconds:0} ms after the last renewal");
        // ...and before the database would let anybody else have it: the safety margin is still ahead.
        Assert.False(await other.Acquire());
        await probe.ExpectNoMsgAsync(Interval * 3);
        await PollAsync(() => other.Acquire(), TimeSpan.FromSeconds(5));
    }

    [SkippableFact]
    public async Task Should_keep_the_lease_through_a_database_outage_shorter_than_the_validity()
    {
        SkipUnavailable();
        // The patient lease (validity 16 s, renewals every 200 ms): two failed renewals take 0.4 s on a quiet machine,
        // but more than the short lease's 1.5 s validity on a loaded one (seen in CI), which is an outage longer than it.
        var (lease, store) = SwitchableLease("node-a", configPath: PatientConfigPath);
        var probe = CreateTestProbe();
        Assert.True(await lease.Acquire(reason => probe.Ref.Tell(reason)));

        store.Reachable = false;
        await PollAsync(() => Task.FromResult(store.FailedRenewals >= 2), TimeSpan.FromSeconds(5));
        store.Reachable = true;
        var failed = store.FailedRenewals;
        await PollAsync(() => Task.FromResult(store.Renewals > failed + 1), TimeSpan.FromSeconds(5));

        Assert.Equal(failed, store.FailedRenewals);
        Assert.True(lease.CheckLease());
        await probe.ExpectNoMsgAsync(Validity);
        Assert.True(lease.CheckLease());
        Assert.Equal("node-a", (await _database.ReadAsync(_leaseName))?.Owner);
    }

    [SkippableFact]
    public async Task Should_stop_renewing_when_released_and_when_disposed()
    {
        SkipUnavailable();
        var (released, releasedStore) = SwitchableLease("node-a");
        Assert.True(await released.Acquire());
        await PollAsync(() => Task.FromResult(releasedStore.Renewals >= 2), TimeSpan.FromSeconds(5));
        var (disposed, disposedStore) = SwitchableLease("node-b", _leaseName + "-disposed");
        Assert.True(await disposed.Acquire());
        await PollAsync(() => Task.FromResult(disposedStore.Renewals >= 2), TimeSpan.FromSeconds(5));

        Assert.True(await released.Release());
        disposed.Dispose();
        var (afterRelease, afterDispose) = (releasedStore.Renewals, disposedStore.Renewals);

        await ExpectNoMsgAsync(Interval * 5);
        // One renewal may have been under way when it was stopped; none starts afterwards.
        Assert.InRange(releasedStore.Renewals, afterRelease, afterRelease + 1);
        Assert.InRange(disposedStore.Renewals, afterDispose, afterDispose + 1);
        Assert.False(disposed.CheckLease());
        await Assert.ThrowsAsync<LeaseException>(() => disposed.Acquire());
    }

    [SkippableFact]
    public async Task Should_grant_the_lease_to_exactly_one_of_many_concurrent_acquirers()
    {
        SkipUnavailable();
        await AssertExactlyOneWinnerAsync((name, owner) => LeaseProvider.Get(Sys).GetLease(name, PatientConfigPath, owner), _database);
    }

    /// <summary>Rounds of twelve owners acquiring one lease at the same moment: one wins, the others are told false.</summary>
    protected async Task AssertExactlyOneWinnerAsync(Func<string, string, Lease> leaseFor, LeaseTestDatabase database)
    {
        for (var round = 0; round < 5; round++)
        {
            var name = $"{_leaseName}-{round}";
            var leases = Enumerable.Range(0, 12).Select(i => leaseFor(name, $"node-{i}")).ToList();
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var attempts = leases.Select(async lease =>
            {
                await start.Task;
                return await lease.Acquire();
            }).ToList();

            start.SetResult();
            var results = await Task.WhenAll(attempts);

            var winner = Assert.Single(Enumerable.Range(0, leases.Count), i => results[i]);
            Assert.Equal($"node-{winner}", (await database.ReadAsync(name))?.Owner);
            Assert.Single(leases, lease => lease.CheckLease());
            await leases[winner].Release();
        }
    }

    /// <summary>The patient lease section's settings, on <paramref name="connectionString"/>.</summary>
    protected LeaseSettings PatientSettings(string name, string owner, string connectionString) => LeaseSettings.Create(
        ConfigurationFactory.ParseString($"connection-string = \"{connectionString.Replace("\\", "\\\\")}\"")
            .WithFallback(Sys.Settings.Config.GetConfig(PatientConfigPath))
            .WithFallback(Sys.Settings.Config.GetConfig("akka.coordination.lease")),
        name, owner);

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _database.Dispose();
    }

    private void SkipUnavailable() => Skip.If(_database.Unavailable is not null, _database.Unavailable);

    private Lease Lease(string owner) => LeaseProvider.Get(Sys).GetLease(_leaseName, ConfigPath, owner);

    /// <summary>A lease whose database can be made unreachable (not through LeaseProvider: it needs the store).</summary>
    private (SqlLease Lease, SwitchableLeaseStore Store) SwitchableLease(string owner, string? name = null, string configPath = ConfigPath)
    {
        var config = Sys.Settings.Config.GetConfig(configPath).WithFallback(Sys.Settings.Config.GetConfig("akka.coordination.lease"));
        var settings = LeaseSettings.Create(config, name ?? _leaseName, owner);
        var timeout = settings.TimeoutSettings.OperationTimeout;
        var store = new SwitchableLeaseStore(
            _database.CreateStore(_database.ConnectionString, timeout), _database.CreateStore(_database.UnreachableConnectionString, timeout));
        return (new SqlLease(settings, (ExtendedActorSystem)Sys, store), store);
    }

    /// <summary>Polls <paramref name="condition"/> every 20 ms until it holds; the moment it held.</summary>
    private static async Task<long> PollAsync(Func<Task<bool>> condition, TimeSpan max)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(max.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            if (await condition()) return Stopwatch.GetTimestamp();
            if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException($"condition not met within {max}");
            await Task.Delay(20);
        }
    }

    private static Config SystemConfig(LeaseTestDatabase database)
    {
        var connection = $"provider = {database.Provider}, connection-string = \"{database.ConnectionString.Replace("\\", "\\\\")}\"";
        return ConfigurationFactory.ParseString($$"""
            akka.loglevel = INFO
            {{ConfigPath}} {
              {{connection}}
              heartbeat-timeout = 2s
              heartbeat-interval = 200ms
              lease-operation-timeout = 1s
              safety-margin = 0.25
            }
            {{PatientConfigPath}} {
              lease-class = "Bamboo.Actors.Coordination.SqlLease, Bamboo.Actors"
              {{connection}}
              heartbeat-timeout = 20s
              heartbeat-interval = 200ms
              lease-operation-timeout = {{Patience.TotalSeconds}}s
            }
            """).WithFallback(BambooConfig.Lease);
    }
}

public sealed class SqliteLeaseSpecs(ITestOutputHelper output) : SqlLeaseSpecs(new SqliteLeaseTestDatabase(), output)
{
    /// <summary>
    /// The journal's file uses write-ahead logging; a file in SQLite's default rollback-journal mode is stricter (a
    /// commit needs every reader gone) and must not turn contention into "database is locked" failures either.
    /// </summary>
    [Fact]
    public async Task Should_grant_the_lease_to_exactly_one_of_many_concurrent_acquirers_without_write_ahead_logging()
    {
        using var database = new SqliteLeaseTestDatabase(writeAheadLogging: false);
        database.Prepare();
        await AssertExactlyOneWinnerAsync(
            (name, owner) => new SqlLease(PatientSettings(name, owner, database.ConnectionString), (ExtendedActorSystem)Sys),
            database);
    }
}

/// <summary>The same specs on PostgreSQL (the clustered deployment's store); skipped without <c>BAMBOO_TEST_POSTGRES</c>.</summary>
public sealed class PostgreSqlLeaseSpecs(ITestOutputHelper output) : SqlLeaseSpecs(new PostgreSqlLeaseTestDatabase(), output);
