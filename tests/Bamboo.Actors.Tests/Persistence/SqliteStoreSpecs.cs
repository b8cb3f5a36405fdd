using System.Data;
using Akka.Persistence.Sql.Config;
using Bamboo.Actors.Hosting;
using Bamboo.Actors.Protocol;
using LinqToDB.Data;
using Microsoft.Data.Sqlite;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Persistence;

/// <summary>The SQLite store's settings: what every connection of the journal runs, and reads that never queue behind a write.</summary>
public sealed class SqliteStoreSpecs : IDisposable
{
    private readonly TempFolder _folder = new();

    private BambooPersistenceOptions Options(Action<BambooPersistenceOptions>? configure = null)
    {
        var options = new BambooPersistenceOptions { Mode = BambooPersistenceMode.Sqlite, DataFolder = _folder.Path };
        configure?.Invoke(options);
        return options;
    }

    [Theory]
    [InlineData(null, null, 1, 5000)]
    [InlineData(SqliteSynchronous.Full, 250, 2, 250)]
    public void Should_open_the_journals_connections_with_the_configured_synchronous_mode_and_busy_timeout(SqliteSynchronous? synchronous,
        int? busyTimeoutMs, long expectedSynchronous, long expectedBusyTimeout)
    {
        var options = Options(o =>
        {
            o.SqliteSynchronous = synchronous;
            o.SqliteBusyTimeout = busyTimeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null;
        });
        BambooPersistence.PrepareSqlite(options.EffectiveConnectionString!);
        var (journal, snapshots) = BambooPersistence.SqlOptions(options)!.Value;
        Assert.Same(journal.DataOptions, snapshots.DataOptions);

        // A connection opened the way the plugins open theirs (linq2db with the plugins' data options).
        using var connection = new DataConnection(journal.DataOptions!);
        Assert.Equal((expectedSynchronous, expectedBusyTimeout, "wal"),
            (Pragma(connection, "synchronous"), Pragma(connection, "busy_timeout"), connection.Execute<string>("PRAGMA journal_mode")));
    }

    [Fact]
    public async Task Should_configure_one_writer_and_deferred_reads_for_the_sessions_the_sharding_and_the_query_plugins()
    {
        await using var system = DurableSystem.Start(Options());
        var config = system.System.Settings.Config;
        foreach (var plugin in new[] { BambooPersistence.SqlPluginIdentifier, BambooPersistence.ShardingPluginIdentifier })
        {
            Assert.Equal((1, "read-uncommitted"), (config.GetInt($"akka.persistence.journal.{plugin}.parallelism"),
                config.GetString($"akka.persistence.journal.{plugin}.read-isolation-level")));
            Assert.Equal("read-uncommitted", config.GetString($"akka.persistence.snapshot-store.{plugin}.read-isolation-level"));
            // The read journal's polls (the history projection's) are reads as well: not behind the write lock either.
            Assert.Equal("read-uncommitted", config.GetString($"akka.persistence.query.journal.{plugin}.read-isolation-level"));
            // The plugins find their connection settings in the system's setup.
            var setup = system.System.Settings.Setup.Get<MultiDataOptionsSetup>().Value;
            Assert.True(setup.TryGetDataOptionsFor($"akka.persistence.journal.{plugin}", out _));
            Assert.True(setup.TryGetDataOptionsFor($"akka.persistence.snapshot-store.{plugin}", out _));
        }
    }

    [Fact]
    public async Task Should_recover_a_session_while_another_connection_holds_the_write_lock()
    {
        var options = Options();
        string runId;
        await using (var first = DurableSystem.Start(options))
        {
            runId = (await first.Ask<Reserved>(new Reserve("finished"))).RunId;
            await first.Ask<Finalized>(new Finalize("finished", runId, RunOutcome.Completed));
        }
        await using var system = DurableSystem.Start(options);
        // The plugins have started (their start creates missing tables, a write) once a session has recovered.
        await system.StatusAsync("warm-up");

        // Another connection takes the write lock (BEGIN IMMEDIATE) and keeps it while the sessions recover.
        await using var writer = new SqliteConnection(options.EffectiveConnectionString);
        writer.Open();
        await using var transaction = writer.BeginTransaction(IsolationLevel.Serializable);

        // Recovery reads the session's snapshot and highest sequence number, then its facts: in deferred transactions
        // these read the last committed state at once; as immediate transactions they would wait for the lock.
        var recovered = await system.StatusAsync("finished").WaitAsync(TimeSpan.FromSeconds(3));
        var fresh = await system.StatusAsync("never-used").WaitAsync(TimeSpan.FromSeconds(3));
        Assert.Equal((RunStatus.Completed, runId, RunStatus.Pending), (recovered.Status, recovered.RunId, fresh.Status));
        transaction.Rollback();
    }

    private static long Pragma(DataConnection connection, string name) => connection.Execute<long>($"PRAGMA {name}");

    public void Dispose() => _folder.Dispose();
}
