using Bamboo.Actors.Chaos.History;
using Npgsql;
using Bamboo.Actors.TestSupport;

namespace Bamboo.Actors.Chaos.Processes;

/// <summary>
/// A fresh PostgreSQL database for one run (created beside the configured one, so runs never share a journal), read at
/// the end for the journal check, then dropped.
/// </summary>
public sealed class ChaosDatabase
{
    private readonly string _serverConnectionString;

    private ChaosDatabase(string serverConnectionString, string name)
    {
        _serverConnectionString = serverConnectionString;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = name }.ConnectionString;
    }

    public string Name { get; }

    /// <summary>The run's database: what the nodes are given.</summary>
    public string ConnectionString { get; }

    /// <summary>Creates <c>{database}_chaos_{seed}_{time}</c> next to the database of <paramref name="connectionString"/>.</summary>
    public static async Task<ChaosDatabase> CreateAsync(string connectionString, int seed)
    {
        var baseName = new NpgsqlConnectionStringBuilder(connectionString).Database ?? "bamboo";
        var name = $"{baseName}_chaos_{seed}_{DateTime.UtcNow:yyyyMMddHHmmss}".ToLowerInvariant();
        var database = new ChaosDatabase(connectionString, name[..Math.Min(name.Length, 63)]);
        await database.ExecuteOnServerAsync($"CREATE DATABASE \"{database.Name}\"");
        return database;
    }

    /// <summary>Akka.Persistence.Sql's journal rows, in persistence id and sequence order (empty if nothing was written).</summary>
    public async Task<IReadOnlyList<JournalRow>> ReadJournalAsync()
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var exists = new NpgsqlCommand("SELECT to_regclass('public.journal') IS NOT NULL", connection);
        if (await exists.ExecuteScalarAsync() is not true) return [];
        await using var command = new NpgsqlCommand(
            "SELECT ordering, persistence_id, sequence_number, coalesce(writer_uuid, ''), created FROM journal ORDER BY persistence_id, sequence_number",
            connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<JournalRow>();
        while (await reader.ReadAsync())
        {
            // created: DateTime ticks (UTC), as Akka.Persistence.Sql writes them.
            rows.Add(new JournalRow(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3),
                new DateTimeOffset(reader.GetInt64(4), TimeSpan.Zero)));
        }
        return rows;
    }

    public Task DropAsync() => PostgresDatabases.DropAsync(_serverConnectionString, $"\"{Name}\"");

    private async Task ExecuteOnServerAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_serverConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
