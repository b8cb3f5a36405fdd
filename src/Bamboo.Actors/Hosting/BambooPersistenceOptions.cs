namespace Bamboo.Actors.Hosting;

/// <summary>Where durable sessions keep their facts.</summary>
public enum BambooPersistenceMode
{
    /// <summary>An embedded SQLite database file under <see cref="BambooPersistenceOptions.DataFolder"/> (the default).</summary>
    Sqlite,
    /// <summary>PostgreSQL, for clustered deployments (<see cref="BambooPersistenceOptions.ConnectionString"/> required).</summary>
    PostgreSql,
    /// <summary>Akka's in-memory journal: durable semantics, nothing survives the process. For tests.</summary>
    InMemory,
    /// <summary>Not durable: sessions live in memory only (<c>SessionRunner</c>).</summary>
    None,
}

/// <summary>SQLite's <c>PRAGMA synchronous</c> for the journal's connections (write-ahead logging is always on).</summary>
public enum SqliteSynchronous
{
    /// <summary>The log is synced at checkpoints: a process crash loses nothing committed; a power loss or operating-system
    /// crash may roll back the last commits (never corrupts the database). The default.</summary>
    Normal,
    /// <summary>The log is synced at every commit: committed facts survive a power loss too, at one fsync per write transaction.</summary>
    Full,
}

/// <summary>Persistence of session runners (configuration section <c>Bamboo:Persistence</c>).</summary>
public sealed class BambooPersistenceOptions
{
    /// <summary>Where facts are kept. Default <see cref="BambooPersistenceMode.Sqlite"/>.</summary>
    public BambooPersistenceMode Mode { get; set; } = BambooPersistenceMode.Sqlite;

    /// <summary>The database connection string. SQLite defaults to <c>Data Source={DataFolder}/bamboo.db</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Folder of the SQLite database. Default <c>data</c> next to the application.</summary>
    public string? DataFolder { get; set; }

    /// <summary>linq2db provider name. Defaults: <c>SQLite.MS</c>, <c>PostgreSQL.15</c>.</summary>
    public string? ProviderName { get; set; }

    /// <summary>SQLite's <c>PRAGMA synchronous</c> (<c>bamboo.persistence.sqlite.connection.synchronous</c> when unset:
    /// <see cref="Actors.Hosting.SqliteSynchronous.Normal"/>).</summary>
    public SqliteSynchronous? SqliteSynchronous { get; set; }

    /// <summary>SQLite's <c>PRAGMA busy_timeout</c>: how long a connection waits for another's lock before its statement
    /// fails (<c>bamboo.persistence.sqlite.connection.busy-timeout</c> when unset: 5 s).</summary>
    public TimeSpan? SqliteBusyTimeout { get; set; }

    /// <summary>A session snapshots its state every this many persisted facts (<c>bamboo.runners.snapshot-every</c> when unset).</summary>
    public int? SnapshotEvery { get; set; }

    /// <summary>The SQLite data folder in effect.</summary>
    public string EffectiveDataFolder => DataFolder is { Length: > 0 } folder
        ? Path.GetFullPath(folder)
        : Path.Combine(AppContext.BaseDirectory, "data");

    /// <summary>The linq2db provider name in effect.</summary>
    public string EffectiveProviderName => ProviderName is { Length: > 0 } name
        ? name
        : Mode == BambooPersistenceMode.PostgreSql ? "PostgreSQL.15" : "SQLite.MS";

    /// <summary>The connection string in effect.</summary>
    public string? EffectiveConnectionString => ConnectionString is { Length: > 0 } configured
        ? configured
        : Mode == BambooPersistenceMode.Sqlite ? $"Data Source={Path.Combine(EffectiveDataFolder, "bamboo.db")}" : null;
}
