using Npgsql;

namespace Bamboo.Actors.TestSupport;

/// <summary>Throw-away PostgreSQL databases of specs, benchmarks and chaos runs.</summary>
public static class PostgresDatabases
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A fresh, empty <paramref name="database"/> on the server of <paramref name="serverConnectionString"/> (one left by
    /// an earlier run is dropped first); returns the connection string to it.
    /// </summary>
    public static async Task<string> CreateFreshAsync(string serverConnectionString, string database)
    {
        await DropAsync(serverConnectionString, database);
        await using (var connection = new NpgsqlConnection(serverConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {database}", connection);
            await command.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = database }.ConnectionString;
    }

    /// <summary>
    /// Drops <paramref name="database"/> (an SQL identifier, quoted if it needs to be) and ends its connections
    /// (<c>WITH (FORCE)</c>). An autovacuum worker that started on the database after its load is a backend a plain role
    /// may not end (42501), and one that starts between the end of the connections and the drop keeps it in use (55006):
    /// both finish within seconds, so the drop is tried again until <see cref="Patience"/> has passed.
    /// </summary>
    public static async Task DropAsync(string serverConnectionString, string database)
    {
        NpgsqlConnection.ClearAllPools();
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(serverConnectionString) { Pooling = false }.ConnectionString);
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", connection);
                await command.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException exception) when (exception.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ObjectInUse &&
                                                      DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
        }
    }
}
