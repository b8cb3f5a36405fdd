using System.Data.Common;
using Bamboo.Actors.Coordination;
using Bamboo.Actors.Tests.Persistence;
using Bamboo.Actors.TestSupport;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Bamboo.Actors.Tests.Coordination;

/// <summary>A database for lease specs: its lease settings, a connection string that cannot reach it, and direct SQL.</summary>
public abstract class LeaseTestDatabase : IDisposable
{
    /// <summary>The lease's <c>provider</c> setting.</summary>
    public abstract string Provider { get; }

    public abstract string ConnectionString { get; }

    /// <summary>The same kind of database, unreachable: every operation fails as a lost database would.</summary>
    public abstract string UnreachableConnectionString { get; }

    /// <summary>Why this database cannot be had here (its specs are then skipped), or null.</summary>
    public virtual string? Unavailable => null;

    /// <summary>
    /// Creates the lease table through the product's store, with time to spare. A process's first PostgreSQL connection
    /// takes 0.5-1 s on a loaded machine (driver start-up), which the specs' 1 s operation timeout must not have to absorb.
    /// </summary>
    public void Prepare()
    {
        if (Unavailable is null) CreateStore(ConnectionString, TimeSpan.FromSeconds(30)).EnsureTableAsync(CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>The product's store for this database at <paramref name="connectionString"/>.</summary>
    internal ILeaseStore CreateStore(string connectionString, TimeSpan operationTimeout) => Provider == "sqlite"
        ? new SqliteLeaseStore(connectionString, "bamboo_leases", operationTimeout)
        : new PostgreSqlLeaseStore(connectionString, "bamboo_leases", operationTimeout);

    /// <summary>The lease's row, read directly: owner (null when released) and version; null when there is no row.</summary>
    public async Task<(string? Owner, long Version)?> ReadAsync(string leaseName)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT owner, version FROM bamboo_leases WHERE name = @name";
        AddParameter(command, "@name", leaseName);
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync()) return null;
        return (await reader.IsDBNullAsync(0) ? null : reader.GetString(0), reader.GetInt64(1));
    }

    /// <summary>Writes another owner into the lease's row, as a node that took it over would.</summary>
    public async Task TakeOverAsync(string leaseName, string owner)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        // The new owner holds it for a minute, as its own renewals would: the former holder cannot take it back however
        // slowly the spec runs (its last renewal's expiry alone would let it after two seconds).
        command.CommandText = $"UPDATE bamboo_leases SET owner = @owner, version = version + 1, expires_at = expires_at + {AMinute} WHERE name = @name";
        AddParameter(command, "@owner", owner);
        AddParameter(command, "@name", leaseName);
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    protected abstract DbConnection Open();

    /// <summary>A minute, in the store's expiry arithmetic.</summary>
    protected abstract string AMinute { get; }

    public virtual void Dispose()
    {
    }

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}

/// <summary>A SQLite file in a fresh temporary folder, by default prepared as the journal's is (write-ahead logging).</summary>
public sealed class SqliteLeaseTestDatabase : LeaseTestDatabase
{
    private readonly TempFolder _folder = new();

    public SqliteLeaseTestDatabase(bool writeAheadLogging = true)
    {
        Directory.CreateDirectory(_folder.Path);
        if (writeAheadLogging) Bamboo.Actors.Hosting.BambooPersistence.PrepareSqlite(ConnectionString);
    }

    public override string Provider => "sqlite";

    protected override string AMinute => "60000";

    public override string ConnectionString => $"Data Source={Path.Combine(_folder.Path, "bamboo.db")}";

    // Read-write without create, in a folder that does not exist: opening fails as for a vanished volume.
    public override string UnreachableConnectionString => $"Data Source={Path.Combine(_folder.Path, "gone", "bamboo.db")};Mode=ReadWrite";

    protected override DbConnection Open()
    {
        var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        return connection;
    }

    public override void Dispose() => _folder.Dispose();
}

/// <summary>
/// The PostgreSQL server named by <c>BAMBOO_TEST_POSTGRES</c> (<c>.ci/run</c> sets it). Specs use lease names of their
/// own, so runs may share the database.
/// </summary>
public sealed class PostgreSqlLeaseTestDatabase : LeaseTestDatabase
{
    public override string Provider => "postgresql";

    protected override string AMinute => "interval '1 minute'";

    public override string ConnectionString => TestPostgres.ConnectionString ?? "";

    // Port 1: nobody listens, so every connection is refused at once.
    public override string UnreachableConnectionString =>
        new NpgsqlConnectionStringBuilder(ConnectionString) { Port = 1, Timeout = 1 }.ConnectionString;

    public override string? Unavailable => TestPostgres.MissingReason();

    protected override DbConnection Open()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        return connection;
    }
}
