using System.Globalization;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Persistence.Sql.Config;
using Akka.Persistence.Sql.Hosting;
using Bamboo.Actors.Configuration;
using LinqToDB;
using Microsoft.Data.Sqlite;

namespace Bamboo.Actors.Hosting;

/// <summary>
/// Durable sessions on Akka.Persistence.Sql (SQLite by default, PostgreSQL by configuration), on the in-memory journal,
/// or not durable at all, as <see cref="BambooPersistenceOptions"/> say. The SQL journal and snapshot store are
/// configured through the plugin's own hosting options (<see cref="SqlJournalOptions"/>, <see cref="SqlSnapshotOptions"/>:
/// Akka.Persistence.Sql.Hosting, served at 1.5.70 and checked against Akka 1.5.73), which hosting applies with
/// <c>WithSqlPersistence</c> and <see cref="ToHocon"/> renders for an ActorSystem created without Akka.Hosting.
/// </summary>
public static class BambooPersistence
{
    /// <summary>Identifier of the SQL journal and snapshot store plugins (<c>akka.persistence.journal.sql</c>, ...).</summary>
    public const string SqlPluginIdentifier = "sql";

    /// <summary>Journal plugin used for SQL modes.</summary>
    public const string SqlJournalPlugin = "akka.persistence.journal." + SqlPluginIdentifier;

    /// <summary>Snapshot store plugin used for SQL modes.</summary>
    public const string SqlSnapshotPlugin = "akka.persistence.snapshot-store." + SqlPluginIdentifier;

    /// <summary>Identifier of the SQL plugins that hold cluster sharding's own state (coordinator, remembered entities).</summary>
    public const string ShardingPluginIdentifier = "sql-sharding";

    /// <summary>The journal and snapshot store plugins of <paramref name="options"/>; null when sessions are not durable.</summary>
    public static (string Journal, string Snapshots)? Plugins(BambooPersistenceOptions options) => options.Mode switch
    {
        BambooPersistenceMode.None => null,
        BambooPersistenceMode.InMemory => ("akka.persistence.journal.inmem", "akka.persistence.snapshot-store.inmem"),
        _ => (SqlJournalPlugin, SqlSnapshotPlugin),
    };

    /// <summary>
    /// The plugins cluster sharding keeps its own state in (coordinator, remembered entities): the sessions' store, but
    /// as plugins of their own, so sharding's writes never share a persistence-id space or settings with sessions'.
    /// </summary>
    public static (string Journal, string Snapshots)? ShardingPlugins(BambooPersistenceOptions options) => options.Mode switch
    {
        BambooPersistenceMode.None => null,
        BambooPersistenceMode.InMemory => Plugins(options),
        _ => ("akka.persistence.journal." + ShardingPluginIdentifier, "akka.persistence.snapshot-store." + ShardingPluginIdentifier),
    };

    /// <summary>The SQL plugins' options for a SQL mode (<see cref="BambooPersistenceMode.Sqlite"/>,
    /// <see cref="BambooPersistenceMode.PostgreSql"/>); null for the others.</summary>
    /// <exception cref="InvalidOperationException">PostgreSQL without a connection string.</exception>
    public static (SqlJournalOptions Journal, SqlSnapshotOptions Snapshots)? SqlOptions(BambooPersistenceOptions options) =>
        SqlOptions(options, SqlPluginIdentifier);

    private static (SqlJournalOptions Journal, SqlSnapshotOptions Snapshots)? SqlOptions(BambooPersistenceOptions options, string identifier)
    {
        if (options.Mode is not (BambooPersistenceMode.Sqlite or BambooPersistenceMode.PostgreSql)) return null;
        var connectionString = options.EffectiveConnectionString
            ?? throw new InvalidOperationException($"Bamboo:Persistence:ConnectionString is required for {options.Mode}.");
        var provider = options.EffectiveProviderName;
        // SQLite: every connection the plugins open gets the store's connection settings (synchronous, busy timeout).
        // Both stores: the plugins' reads of rows' tags go through the tag table's key (TagAggregateRewriter).
        var data = (options.Mode == BambooPersistenceMode.Sqlite
                ? SqliteDataOptions(provider, connectionString, options)
                : new DataOptions().UseConnectionString(provider, connectionString))
            .UseInterceptor(TagAggregateRewriter.Instance);
        // Not the system's default plugins: sessions name theirs (bamboo.runners.journal-plugin), so an application's
        // own persistent actors keep whatever default it configures.
        var journal = new SqlJournalOptions(isDefaultPlugin: false, identifier)
        {
            ConnectionString = connectionString,
            ProviderName = provider,
            AutoInitialize = true,
            DataOptions = data,
        };
        var snapshots = new SqlSnapshotOptions(isDefaultPlugin: false, identifier)
        {
            ConnectionString = connectionString,
            ProviderName = provider,
            AutoInitialize = true,
            DataOptions = data,
        };
        return (journal, snapshots);
    }

    /// <summary>
    /// The SQLite connections' settings (<c>bamboo.persistence.sqlite.connection</c>, or the options' values), run as
    /// pragmas on every connection the plugins open (pooled connections too: a pragma costs microseconds).
    /// </summary>
    private static DataOptions SqliteDataOptions(string provider, string connectionString, BambooPersistenceOptions options)
    {
        var pragmas = SqlitePragmas(options);
        return new DataOptions().UseConnectionString(provider, connectionString).UseAfterConnectionOpened(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = pragmas;
            command.ExecuteNonQuery();
        });
    }

    /// <summary>The pragmas every SQLite connection of the plugins runs when it opens.</summary>
    public static string SqlitePragmas(BambooPersistenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var defaults = BambooConfig.Persistence.GetConfig("bamboo.persistence.sqlite.connection");
        var synchronous = options.SqliteSynchronous ?? Enum.Parse<SqliteSynchronous>(defaults.GetString("synchronous"), ignoreCase: true);
        var busyTimeout = options.SqliteBusyTimeout ?? defaults.GetTimeSpan("busy-timeout");
        if (busyTimeout < TimeSpan.Zero) throw new InvalidOperationException($"Bamboo:Persistence:SqliteBusyTimeout must not be negative ({busyTimeout}).");
        return string.Create(CultureInfo.InvariantCulture,
            $"PRAGMA synchronous = {synchronous.ToString().ToUpperInvariant()}; PRAGMA busy_timeout = {(long)busyTimeout.TotalMilliseconds};");
    }

    /// <summary>
    /// The store's plugin settings (<c>bamboo.persistence.{store}.journal</c>, <c>.snapshot-store</c> and <c>.query</c> of
    /// <c>hocon/persistence.conf</c>) under the paths of the plugins named <paramref name="identifier"/>.
    /// </summary>
    private static Config StoreHocon(BambooPersistenceOptions options, string identifier)
    {
        var store = BambooConfig.Persistence.GetConfig(options.Mode == BambooPersistenceMode.Sqlite
            ? "bamboo.persistence.sqlite"
            : "bamboo.persistence.postgresql");
        var hocon = new StringBuilder();
        foreach (var (section, path) in new[]
                 { ("journal", "akka.persistence.journal."), ("snapshot-store", "akka.persistence.snapshot-store."), ("query", "akka.persistence.query.journal.") })
        {
            if (store.GetConfig(section) is not { IsEmpty: false } settings) continue;
            hocon.Append(path).Append(identifier).AppendLine(" {").AppendLine(settings.ToString(includeFallback: true)).AppendLine("}");
        }
        return ConfigurationFactory.ParseString(hocon.ToString());
    }

    /// <summary>
    /// The setup an ActorSystem created without Akka.Hosting needs beside <see cref="ToHocon"/>, with
    /// <paramref name="config"/> (which should include it): for SQLite, the connection settings of the plugins' connections.
    /// </summary>
    public static ActorSystemSetup Bootstrap(BambooPersistenceOptions options, Config config)
    {
        var bootstrap = BootstrapSetup.Create().WithConfig(config);
        var setup = new MultiDataOptionsSetup();
        var any = false;
        foreach (var identifier in new[] { SqlPluginIdentifier, ShardingPluginIdentifier })
        {
            if (SqlOptions(options, identifier) is not var (journal, snapshots)) continue;
            foreach (var (pluginId, data) in new[] { (journal.PluginId, journal.DataOptions), (journal.QueryPluginId, journal.DataOptions), (snapshots.PluginId, snapshots.DataOptions) })
            {
                if (data is null) continue;
                setup.AddDataOptions(pluginId, data);
                any = true;
            }
        }
        return any ? bootstrap.And(setup) : ActorSystemSetup.Create(bootstrap);
    }

    /// <summary>
    /// The whole persistence configuration of <paramref name="options"/> as HOCON, for an ActorSystem created without
    /// Akka.Hosting (hosting uses <see cref="WithBambooPersistence"/>); create the system with <see cref="Bootstrap"/>, which
    /// adds the SQLite connections' settings. A SQLite database's folder must exist: <see cref="PrepareSqlite"/>.
    /// </summary>
    public static Config ToHocon(BambooPersistenceOptions options)
    {
        var config = RunnerHocon(options);
        foreach (var identifier in new[] { SqlPluginIdentifier, ShardingPluginIdentifier })
        {
            if (SqlOptions(options, identifier) is not var (journal, snapshots)) continue;
            config = config
                .WithFallback(journal.ToConfig()).WithFallback(snapshots.ToConfig())
                .WithFallback(StoreHocon(options, identifier))
                .WithFallback(journal.DefaultConfig).WithFallback(journal.DefaultQueryConfig).WithFallback(snapshots.DefaultConfig);
        }
        return config;
    }

    /// <summary>The hosting step: prepares a SQLite database and adds the plugins, the store's settings (behind the
    /// application's HOCON, in front of the plugins' defaults) and the runners' durability settings.</summary>
    public static AkkaConfigurationBuilder WithBambooPersistence(this AkkaConfigurationBuilder builder, BambooPersistenceOptions options)
    {
        builder.AddHocon(RunnerHocon(options), HoconAddMode.Prepend);
        if (SqlOptions(options) is not var (journal, snapshots)) return builder;
        if (options.Mode == BambooPersistenceMode.Sqlite) PrepareSqlite(journal.ConnectionString!);
        var (shardingJournal, shardingSnapshots) = SqlOptions(options, ShardingPluginIdentifier)!.Value;
        // Appended before WithSqlPersistence appends the plugins' reference configuration, so these settings win over it.
        return builder
            .AddHocon(StoreHocon(options, SqlPluginIdentifier), HoconAddMode.Append)
            .AddHocon(StoreHocon(options, ShardingPluginIdentifier), HoconAddMode.Append)
            .WithSqlPersistence(journal, snapshots)
            .WithSqlPersistence(shardingJournal, shardingSnapshots);
    }

    /// <summary>Creates the SQLite file's folder and turns on write-ahead logging for the file (persistent per file, and
    /// much faster for many small writes).</summary>
    public static void PrepareSqlite(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (builder.DataSource is { Length: > 0 } file && file != ":memory:" && Path.GetDirectoryName(Path.GetFullPath(file)) is { } folder)
            Directory.CreateDirectory(folder);
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        command.ExecuteNonQuery();
    }

    /// <summary>What the runners read: whether sessions are durable, on which plugins; and the SQL journals' settings.</summary>
    private static Config RunnerHocon(BambooPersistenceOptions options)
    {
        var hocon = new StringBuilder();
        if (Plugins(options) is not var (journal, snapshots))
        {
            hocon.AppendLine("bamboo.runners.durable = off");
            return ConfigurationFactory.ParseString(hocon.ToString());
        }
        hocon.AppendLine("bamboo.runners.durable = on");
        hocon.Append("bamboo.runners.journal-plugin = ").AppendLine(Quote(journal));
        hocon.Append("bamboo.runners.snapshot-plugin = ").AppendLine(Quote(snapshots));
        if (options.SnapshotEvery is { } every) hocon.Append("bamboo.runners.snapshot-every = ").Append(every).AppendLine();
        // No replay filter. Akka's filter tells writers apart by the writer id of each row, but Akka.Persistence.Sql
        // writes one id per journal (per process), not per incarnation: a session that moves away and back to a node it
        // lived on (hand-off, node restarts) looks exactly like a stale writer. Its default, repair-by-discard-old, then
        // silently dropped acknowledged facts (seen in the multi-process chaos test), and fail would refuse to recover a
        // healthy session forever. One writer per session is kept where writers meet instead: the shard lease, a stop
        // that waits for the write in flight, and the journal's unique (session, sequence) key, whose violation the
        // runner reports as a writer conflict.
        hocon.Append(journal).AppendLine(".replay-filter.mode = off");
        hocon.Append("akka.persistence.journal.").Append(ShardingPluginIdentifier).AppendLine(".replay-filter.mode = off");
        // After a database outage, Akka's circuit breaker (open after 10 failed calls) keeps refusing for its reset
        // timeout, 30 s by default, although the database is back: 3 s lets the first call through soon after. The
        // same for sharding's own plugins: a shard whose lease lapsed in the outage starts again only once it has read
        // its remembered sessions there, so a breaker left at 30 s kept every such session silent for a minute.
        var (shardingJournal, shardingSnapshots) = ShardingPlugins(options)!.Value;
        foreach (var plugin in new[] { journal, snapshots, shardingJournal, shardingSnapshots }.Distinct())
            hocon.Append(plugin).AppendLine(".circuit-breaker.reset-timeout = 3s");
        return ConfigurationFactory.ParseString(hocon.ToString());
    }

    // A JSON string literal is a valid HOCON quoted string: quotes, backslashes and control characters escaped.
    private static string Quote(string value) => JsonSerializer.Serialize(value);
}
