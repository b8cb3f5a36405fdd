using System.Text;
using System.Text.Json;
using Akka.Configuration;
using Microsoft.Data.Sqlite;

namespace Bamboo.Actors.Hosting;

/// <summary>
/// Turns <see cref="BambooPersistenceOptions"/> into configuration: durable sessions on Akka.Persistence.Sql (SQLite by
/// default, PostgreSQL by configuration) or on the in-memory journal, or not durable at all.
/// </summary>
public static class BambooPersistence
{
    /// <summary>Journal plugin used for SQL modes.</summary>
    public const string SqlJournalPlugin = "akka.persistence.journal.sql";

    /// <summary>Snapshot store plugin used for SQL modes.</summary>
    public const string SqlSnapshotPlugin = "akka.persistence.snapshot-store.sql";

    /// <summary>The HOCON for <paramref name="options"/>. For SQLite, also creates the data folder and switches the database
    /// file to write-ahead logging (persistent per file, and much faster for many small writes).</summary>
    public static Config ToHocon(BambooPersistenceOptions options)
    {
        var hocon = new StringBuilder();
        switch (options.Mode)
        {
            case BambooPersistenceMode.None:
                hocon.AppendLine("bamboo.runners.durable = off");
                break;
            case BambooPersistenceMode.InMemory:
                var (journal, snapshots) = Plugins(options)!.Value;
                Durable(hocon, options, journal, snapshots);
                break;
            case BambooPersistenceMode.Sqlite:
            case BambooPersistenceMode.PostgreSql:
                var connectionString = options.EffectiveConnectionString
                    ?? throw new InvalidOperationException($"Bamboo:Persistence:ConnectionString is required for {options.Mode}.");
                var provider = options.ProviderName is { Length: > 0 } name
                    ? name
                    : options.Mode == BambooPersistenceMode.Sqlite ? "SQLite.MS" : "PostgreSQL.15";
                if (options.Mode == BambooPersistenceMode.Sqlite) PrepareSqlite(connectionString);
                Durable(hocon, options, SqlJournalPlugin, SqlSnapshotPlugin);
                SqlPlugin(hocon, SqlJournalPlugin, "Akka.Persistence.Sql.Journal.SqlWriteJournal, Akka.Persistence.Sql", connectionString, provider);
                // A replay that finds an older writer's facts after a newer writer's fails the session's recovery instead
                // of silently dropping them (Akka's default, repair-by-discard-old, dropped acknowledged facts). The shard
                // lease keeps one writer per session, so this fires only on a broken deployment, and then loudly.
                hocon.Append(SqlJournalPlugin).AppendLine(".replay-filter.mode = fail");
                SqlPlugin(hocon, SqlSnapshotPlugin, "Akka.Persistence.Sql.Snapshot.SqlSnapshotStore, Akka.Persistence.Sql", connectionString, provider);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(options), options.Mode, "unknown persistence mode");
        }
        return ConfigurationFactory.ParseString(hocon.ToString());
    }

    /// <summary>The journal and snapshot store plugins of <paramref name="options"/>; null when sessions are not durable.</summary>
    public static (string Journal, string Snapshots)? Plugins(BambooPersistenceOptions options) => options.Mode switch
    {
        BambooPersistenceMode.None => null,
        BambooPersistenceMode.InMemory => ("akka.persistence.journal.inmem", "akka.persistence.snapshot-store.inmem"),
        _ => (SqlJournalPlugin, SqlSnapshotPlugin),
    };

    /// <summary>Creates the SQLite file's folder and turns on write-ahead logging for the file.</summary>
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

    private static void Durable(StringBuilder hocon, BambooPersistenceOptions options, string journal, string snapshots)
    {
        hocon.AppendLine("bamboo.runners.durable = on");
        hocon.Append("bamboo.runners.journal-plugin = ").AppendLine(Quote(journal));
        hocon.Append("bamboo.runners.snapshot-plugin = ").AppendLine(Quote(snapshots));
        if (options.SnapshotEvery is { } every) hocon.Append("bamboo.runners.snapshot-every = ").Append(every).AppendLine();
    }

    private static void SqlPlugin(StringBuilder hocon, string path, string type, string connectionString, string provider)
    {
        hocon.Append(path).AppendLine(" {");
        hocon.Append("  class = ").AppendLine(Quote(type));
        hocon.Append("  plugin-id = ").AppendLine(Quote(path));
        hocon.Append("  connection-string = ").AppendLine(Quote(connectionString));
        hocon.Append("  provider-name = ").AppendLine(Quote(provider));
        hocon.AppendLine("  auto-initialize = on");
        hocon.AppendLine("}");
    }

    // A JSON string literal is a valid HOCON quoted string: quotes, backslashes and control characters escaped.
    private static string Quote(string value) => JsonSerializer.Serialize(value);
}
