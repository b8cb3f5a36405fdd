using System.Diagnostics;
using Bamboo.Actors.Coordination;

namespace Bamboo.Actors.Tests.Coordination;

/// <summary>
/// A lease store that goes to the real table, or, while <see cref="Reachable"/> is false, to an unreachable database
/// of the same kind; it counts renewals and remembers when the last successful one started.
/// </summary>
internal sealed class SwitchableLeaseStore(ILeaseStore real, ILeaseStore unreachable) : ILeaseStore
{
    private long _renewals;
    private long _failedRenewals;
    private long _lastRenewalStarted;

    public volatile bool Reachable = true;

    /// <summary>Renewals attempted.</summary>
    public long Renewals => Interlocked.Read(ref _renewals);

    /// <summary>Renewals that failed (the database could not be reached).</summary>
    public long FailedRenewals => Interlocked.Read(ref _failedRenewals);

    /// <summary>Stopwatch timestamp at which the last successful renewal started.</summary>
    public long LastRenewalStarted => Interlocked.Read(ref _lastRenewalStarted);

    private ILeaseStore Current => Reachable ? real : unreachable;

    public Task EnsureTableAsync(CancellationToken cancellation) => Current.EnsureTableAsync(cancellation);

    public Task<long?> TryAcquireAsync(string name, string owner, TimeSpan ttl, CancellationToken cancellation) =>
        Current.TryAcquireAsync(name, owner, ttl, cancellation);

    public Task<IReadOnlyList<HeldLease>> HeldByOthersAsync(string ownerPrefix, string exceptOwner, CancellationToken cancellation) =>
        Current.HeldByOthersAsync(ownerPrefix, exceptOwner, cancellation);

    public async Task<long?> RenewAsync(string name, string owner, long version, TimeSpan ttl, CancellationToken cancellation)
    {
        Interlocked.Increment(ref _renewals);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var renewed = await Current.RenewAsync(name, owner, version, ttl, cancellation);
            if (renewed is not null) Interlocked.Exchange(ref _lastRenewalStarted, started);
            return renewed;
        }
        catch
        {
            Interlocked.Increment(ref _failedRenewals);
            throw;
        }
    }

    public Task<bool> ReleaseAsync(string name, string owner, long version, CancellationToken cancellation) =>
        Current.ReleaseAsync(name, owner, version, cancellation);
}
