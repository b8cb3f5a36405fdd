using System.Collections.Concurrent;

namespace Bamboo.Actors.Coordination;

/// <summary>
/// Bounds the lease operations running at once against one database from this process. A node starting 100 shards
/// acquires 100 leases at the same moment: unbounded, that is 100 new connections (PostgreSQL's default
/// max_connections is 100, shared with the journal) or 100 threads parked in SQLite's busy handler, and renewals of
/// leases already held would queue behind them until they time out. Waiters queue asynchronously, first come first
/// served, and their wait counts against their operation's timeout.
/// </summary>
internal static class DatabaseOperationLimiter
{
    private static readonly ConcurrentDictionary<(SqlLeaseDatabase, string), SemaphoreSlim> Limiters = new();

    /// <summary>The limiter of one database (by connection string); the first lease to ask sets its size.</summary>
    public static SemaphoreSlim For(SqlLeaseDatabase database, string connectionString, int maxConcurrentOperations) =>
        Limiters.GetOrAdd((database, connectionString), _ => new SemaphoreSlim(maxConcurrentOperations, maxConcurrentOperations));
}
