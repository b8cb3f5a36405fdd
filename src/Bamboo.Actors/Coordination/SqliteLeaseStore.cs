using Microsoft.Data.Sqlite;

namespace Bamboo.Actors.Coordination;

/// <summary>
/// The lease table in a SQLite file. <c>expires_at</c> is milliseconds since the Unix epoch by SQLite's own clock
/// (<c>julianday('now')</c>, fixed for the duration of one statement); SQLite serialises writers, so each statement is
/// an atomic compare-and-set. Every contender runs on the host that has the file, so they all share that clock. In the
/// upsert's DO UPDATE, unqualified columns are the existing row and <c>excluded.*</c> the proposed one.
/// </summary>
internal sealed class SqliteLeaseStore(string connectionString, string table, TimeSpan operationTimeout) : ILeaseStore
{
    private const string Now = "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";

    // A writer waiting on another (the journal shares the file) waits one operation's worth.
    private readonly int _commandTimeoutSeconds = Math.Max(1, (int)Math.Ceiling(operationTimeout.TotalSeconds));
    private readonly long _busyTimeoutMilliseconds = Math.Max(1, (long)operationTimeout.TotalMilliseconds);

    public Task EnsureTableAsync(CancellationToken cancellation) => ScalarAsync(
        $"""
        CREATE TABLE IF NOT EXISTS {table} (
            name TEXT NOT NULL PRIMARY KEY,
            owner TEXT NULL,
            expires_at INTEGER NOT NULL,
            version INTEGER NOT NULL)
        """, _ => { }, cancellation);

    public Task<long?> TryAcquireAsync(string name, string owner, TimeSpan ttl, CancellationToken cancellation) => ScalarAsync(
        $"""
        INSERT INTO {table} (name, owner, expires_at, version) VALUES ($name, $owner, {Now} + $ttl, 1)
        ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at, version = version + 1
        WHERE owner IS NULL OR owner = excluded.owner OR expires_at <= {Now}
        RETURNING version
        """, p =>
        {
            p.AddWithValue("$name", name);
            p.AddWithValue("$owner", owner);
            p.AddWithValue("$ttl", (long)ttl.TotalMilliseconds);
        }, cancellation);

    public Task<long?> RenewAsync(string name, string owner, long version, TimeSpan ttl, CancellationToken cancellation) => ScalarAsync(
        $"""
        UPDATE {table} SET expires_at = {Now} + $ttl, version = version + 1
        WHERE name = $name AND owner = $owner AND version = $version
        RETURNING version
        """, p =>
        {
            p.AddWithValue("$name", name);
            p.AddWithValue("$owner", owner);
            p.AddWithValue("$version", version);
            p.AddWithValue("$ttl", (long)ttl.TotalMilliseconds);
        }, cancellation);

    public async Task<bool> ReleaseAsync(string name, string owner, long version, CancellationToken cancellation) =>
        await ScalarAsync(
            $"""
            UPDATE {table} SET owner = NULL, expires_at = {Now}, version = version + 1
            WHERE name = $name AND owner = $owner AND version = $version
            RETURNING version
            """, p =>
            {
                p.AddWithValue("$name", name);
                p.AddWithValue("$owner", owner);
                p.AddWithValue("$version", version);
            }, cancellation) is not null;

    public async Task<IReadOnlyList<HeldLease>> HeldByOthersAsync(string ownerPrefix, string exceptOwner, CancellationToken cancellation)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellation);
        await using var command = connection.CreateCommand();
        // A plain read: in WAL mode it sees the last commit without waiting for the writers.
        command.CommandText = $"""
            SELECT name, owner, version FROM {table}
            WHERE owner IS NOT NULL AND owner <> $except AND substr(owner, 1, length($prefix)) = $prefix AND expires_at > {Now}
            """;
        command.CommandTimeout = _commandTimeoutSeconds;
        command.Parameters.AddWithValue("$except", exceptOwner);
        command.Parameters.AddWithValue("$prefix", ownerPrefix);
        return await HeldLease.ReadAllAsync(command, cancellation);
    }

    private async Task<long?> ScalarAsync(string sql, Action<SqliteParameterCollection> parameters, CancellationToken cancellation)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellation);
        await using (var busy = connection.CreateCommand())
        {
            // SQLite's own busy handler, so that every lock this operation needs (also the commit's) waits for the other
            // writers (contenders, the journal) instead of failing with "database is locked".
            busy.CommandText = $"PRAGMA busy_timeout = {_busyTimeoutMilliseconds}";
            await busy.ExecuteNonQueryAsync(cancellation);
        }
        // BEGIN IMMEDIATE takes the write lock before the statement reads the row: no read-then-upgrade, which SQLite
        // may refuse at once (SQLITE_BUSY without waiting) when another writer got in between.
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellation);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.CommandTimeout = _commandTimeoutSeconds;
        parameters(command.Parameters);
        var result = await command.ExecuteScalarAsync(cancellation);
        await transaction.CommitAsync(cancellation);
        return result is long version ? version : null;
    }
}
