using Npgsql;

namespace Bamboo.Actors.Coordination;

/// <summary>
/// The lease table in PostgreSQL. Expiry is the server's <c>clock_timestamp()</c> + ttl and is compared with the
/// server's clock, so the nodes' clocks never decide who may take a lease. <c>INSERT … ON CONFLICT DO UPDATE … WHERE</c>
/// locks the row and evaluates the condition on its latest version: an atomic compare-and-set under READ COMMITTED.
/// </summary>
internal sealed class PostgreSqlLeaseStore(string connectionString, string table, TimeSpan operationTimeout) : ILeaseStore
{
    private readonly int _commandTimeoutSeconds = Math.Max(1, (int)Math.Ceiling(operationTimeout.TotalSeconds));

    public async Task EnsureTableAsync(CancellationToken cancellation)
    {
        try
        {
            await ExecuteScalarAsync(
                $"""
                CREATE TABLE IF NOT EXISTS {table} (
                    name text NOT NULL PRIMARY KEY,
                    owner text NULL,
                    expires_at timestamptz NOT NULL,
                    version bigint NOT NULL)
                """, _ => { }, cancellation);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable)
        {
            // Two nodes creating the table at the same moment: IF NOT EXISTS is not atomic in PostgreSQL's catalog.
        }
    }

    public Task<long?> TryAcquireAsync(string name, string owner, TimeSpan ttl, CancellationToken cancellation) => ExecuteScalarAsync(
        $"""
        INSERT INTO {table} AS lease (name, owner, expires_at, version) VALUES (@name, @owner, clock_timestamp() + @ttl, 1)
        ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at, version = lease.version + 1
        WHERE lease.owner IS NULL OR lease.owner = EXCLUDED.owner OR lease.expires_at <= clock_timestamp()
        RETURNING lease.version
        """, p =>
        {
            p.AddWithValue("name", name);
            p.AddWithValue("owner", owner);
            p.AddWithValue("ttl", ttl);
        }, cancellation);

    public Task<long?> RenewAsync(string name, string owner, long version, TimeSpan ttl, CancellationToken cancellation) => ExecuteScalarAsync(
        $"""
        UPDATE {table} SET expires_at = clock_timestamp() + @ttl, version = version + 1
        WHERE name = @name AND owner = @owner AND version = @version
        RETURNING version
        """, p =>
        {
            p.AddWithValue("name", name);
            p.AddWithValue("owner", owner);
            p.AddWithValue("version", version);
            p.AddWithValue("ttl", ttl);
        }, cancellation);

    public async Task<bool> ReleaseAsync(string name, string owner, long version, CancellationToken cancellation) =>
        await ExecuteScalarAsync(
            $"""
            UPDATE {table} SET owner = NULL, expires_at = clock_timestamp(), version = version + 1
            WHERE name = @name AND owner = @owner AND version = @version
            RETURNING version
            """, p =>
            {
                p.AddWithValue("name", name);
                p.AddWithValue("owner", owner);
                p.AddWithValue("version", version);
            }, cancellation) is not null;

    public async Task<IReadOnlyList<HeldLease>> HeldByOthersAsync(string ownerPrefix, string exceptOwner, CancellationToken cancellation)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellation);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT name, owner, version FROM {table}
            WHERE owner IS NOT NULL AND owner <> @except AND starts_with(owner, @prefix) AND expires_at > clock_timestamp()
            """;
        command.CommandTimeout = _commandTimeoutSeconds;
        command.Parameters.AddWithValue("except", exceptOwner);
        command.Parameters.AddWithValue("prefix", ownerPrefix);
        return await HeldLease.ReadAllAsync(command, cancellation);
    }

    private async Task<long?> ExecuteScalarAsync(string sql, Action<NpgsqlParameterCollection> parameters, CancellationToken cancellation)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellation);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = _commandTimeoutSeconds;
        parameters(command.Parameters);
        return await command.ExecuteScalarAsync(cancellation) is long version ? version : null;
    }
}
