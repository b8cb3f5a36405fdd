using Bamboo.Actors.Chaos.Processes;
using Bamboo.Actors.Hosting;
using Bamboo.Actors.TestSupport;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Bamboo.Actors.Chaos.Model.Nodes;

/// <summary>
/// The store the nodes share: a fresh SQLite file (the default), or a fresh PostgreSQL database reached through a TCP
/// proxy that an outage cuts (open connections reset, new ones refused: the journal, the leases and sharding's state all
/// go at once, as when the database stops).
/// </summary>
public sealed class ModelStore : IAsyncDisposable
{
    private readonly ChaosDatabase? _database;
    private readonly string? _folder;

    private ModelStore(BambooPersistenceMode mode, string connectionString, string description, ChaosDatabase? database, TcpProxy? proxy, string? folder)
    {
        Mode = mode;
        ConnectionString = connectionString;
        Description = description;
        _database = database;
        Proxy = proxy;
        _folder = folder;
    }

    public BambooPersistenceMode Mode { get; }

    /// <summary>What the nodes are given (through the proxy for PostgreSQL).</summary>
    public string ConnectionString { get; }

    public string Description { get; }

    /// <summary>The proxy in front of PostgreSQL; null for SQLite.</summary>
    public TcpProxy? Proxy { get; }

    public bool IsPostgres => Mode == BambooPersistenceMode.PostgreSql;

    public static async Task<ModelStore> CreateAsync(string? postgres, int seed, string folder)
    {
        if (postgres is null)
        {
            var file = Path.Combine(folder, "bamboo.db");
            return new ModelStore(BambooPersistenceMode.Sqlite, $"Data Source={file}", $"SQLite {file}", null, null, folder);
        }
        var database = await ChaosDatabase.CreateAsync(postgres, seed);
        var direct = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        var proxy = TcpProxy.Start(direct.Host ?? "127.0.0.1", direct.Port);
        var proxied = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Host = "127.0.0.1", Port = proxy.Port };
        return new ModelStore(BambooPersistenceMode.PostgreSql, proxied.ConnectionString, $"PostgreSQL database {database.Name} (through a proxy)",
            database, proxy, null);
    }

    /// <summary>The store is unreachable until <see cref="Restore"/> (PostgreSQL only: the proxy is cut).</summary>
    public void Cut() => Proxy?.Cut();

    public void Restore() => Proxy?.Restore();

    public async ValueTask DisposeAsync()
    {
        if (Proxy is not null) await Proxy.DisposeAsync();
        if (_database is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await _database.DropAsync();
        }
        if (_folder is not null) SqliteConnection.ClearAllPools();
    }
}
