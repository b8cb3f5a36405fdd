using Akka.Actor;
using Bamboo.Actors.Configuration;

namespace Bamboo.Actors.History;

/// <summary>Where the read model of sessions and runs lives (<c>bamboo.history.store</c>).</summary>
public enum HistoryStoreKind
{
    /// <summary>No read model.</summary>
    None,
    /// <summary>In memory, fed by the facts sessions publish on the EventStream.</summary>
    Memory,
    /// <summary>Tables in a SQLite database, fed by the journal's tagged facts.</summary>
    Sqlite,
    /// <summary>Tables in a PostgreSQL database, fed by the journal's tagged facts.</summary>
    PostgreSql,
}

/// <summary>Settings of the read model: HOCON <c>bamboo.history</c>, defaults in <c>hocon/bamboo.conf</c>.</summary>
public sealed record HistorySettings
{
    private HistorySettings()
    {
    }

    /// <summary>The defaults of <c>hocon/bamboo.conf</c>.</summary>
    public static HistorySettings Default { get; } = FromConfig(null);

    /// <summary>Where the read model lives.</summary>
    public HistoryStoreKind Store { get; init; }

    /// <summary>The database of a SQL store.</summary>
    public string ConnectionString { get; init; } = "";

    /// <summary>The query plugin the projection reads tagged facts from.</summary>
    public string ReadJournal { get; init; } = "";

    /// <summary>Runs kept per session.</summary>
    public int RunsPerSession { get; init; }

    /// <summary>Ended runs and idle sessions older than this are deleted.</summary>
    public TimeSpan MaxAge { get; init; }

    /// <summary>How often retention runs.</summary>
    public TimeSpan PruneInterval { get; init; }

    /// <summary>Facts applied per batch, at most.</summary>
    public int BatchSize { get; init; }

    /// <summary>How long a batch waits for more facts after its first.</summary>
    public TimeSpan BatchInterval { get; init; }

    /// <summary>How often the projection asks the journal for new facts.</summary>
    public TimeSpan PollInterval { get; init; }

    /// <summary>Running sessions woken per second after a single-node restart.</summary>
    public int OrphanCheckRate { get; init; }

    /// <summary>Reads <c>bamboo.history</c> from <paramref name="system"/>'s configuration, over the embedded defaults.</summary>
    public static HistorySettings Create(ActorSystem system) => FromConfig(system.Settings.Config.GetConfig("bamboo.history"));

    /// <summary>Reads a <c>bamboo.history</c> section (null: the embedded defaults alone).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public static HistorySettings FromConfig(Akka.Configuration.Config? section)
    {
        var config = (section ?? Akka.Configuration.Config.Empty).WithFallback(BambooConfig.Default.GetConfig("bamboo.history"));
        var store = config.GetString("store", "none").ToLowerInvariant() switch
        {
            "none" or "" => HistoryStoreKind.None,
            "memory" => HistoryStoreKind.Memory,
            "sqlite" => HistoryStoreKind.Sqlite,
            "postgresql" => HistoryStoreKind.PostgreSql,
            var other => throw new ArgumentOutOfRangeException(nameof(Store), other, "must be none, memory, sqlite or postgresql"),
        };
        var settings = new HistorySettings
        {
            Store = store,
            ConnectionString = config.GetString("connection-string", ""),
            ReadJournal = config.GetString("read-journal", ""),
            RunsPerSession = config.GetInt("runs-per-session"),
            MaxAge = config.GetTimeSpan("max-age"),
            PruneInterval = config.GetTimeSpan("prune-interval"),
            BatchSize = config.GetInt("batch-size"),
            BatchInterval = config.GetTimeSpan("batch-interval"),
            PollInterval = config.GetTimeSpan("poll-interval"),
            OrphanCheckRate = config.GetInt("orphan-check-rate"),
        };
        if (settings.RunsPerSession < 1) throw new ArgumentOutOfRangeException(nameof(RunsPerSession), settings.RunsPerSession, "must be at least 1");
        if (settings.MaxAge <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(MaxAge), settings.MaxAge, "must be positive");
        if (settings.PruneInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(PruneInterval), settings.PruneInterval, "must be positive");
        if (settings.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), settings.BatchSize, "must be at least 1");
        if (settings.BatchInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(BatchInterval), settings.BatchInterval, "must be positive");
        if (settings.PollInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(PollInterval), settings.PollInterval, "must be positive");
        if (settings.OrphanCheckRate < 1) throw new ArgumentOutOfRangeException(nameof(OrphanCheckRate), settings.OrphanCheckRate, "must be at least 1");
        if (store is HistoryStoreKind.Sqlite or HistoryStoreKind.PostgreSql && settings.ConnectionString.Length == 0)
            throw new ArgumentOutOfRangeException(nameof(ConnectionString), "", $"is required for the {store} store");
        return settings;
    }
}
