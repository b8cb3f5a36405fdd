using System.Diagnostics;
using System.Diagnostics.Metrics;
using Akka.Actor;
using Akka.Persistence;
using Bamboo.Actors.Benchmarks.Harness;
using Bamboo.Actors.Benchmarks.Targets;
using Bamboo.Actors.Diagnostics;
using Bamboo.Actors.Hosting;
using Bamboo.Actors.Protocol;
using Microsoft.Data.Sqlite;
using Npgsql;
using Bamboo.Actors.TestSupport;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Benchmarks.Scenarios;

/// <summary>
/// Scenario 7: durable sessions. Persisted reserve → publish 3 → finalize cycles per second (the cycle of scenario 1 (a))
/// on each store next to the same cycle in memory, with the store's own event rate (a plain persistent actor writing one
/// event per request, same concurrency) as the bound a durable session can approach; then the time a fresh system takes
/// to recover many sessions from a database file.
/// </summary>
public static class DurableScenario
{
    /// <summary>Environment variable with a PostgreSQL connection string (<c>bash .ci/postgres</c> prints one); the PostgreSQL
    /// rows run only when it is set.</summary>
    public const string PostgresVariable = "BAMBOO_TEST_POSTGRES";

    /// <summary>Persisted cycles/s as a fraction of the journal's own bound (its event rate ÷ writes per cycle) that
    /// counts as close to it.</summary>
    public const double CloseToBound = 0.8;

    private const string BenchDatabase = "bamboo_bench";

    private sealed record Store(string Key, string Name, BambooPersistenceOptions Persistence, Func<string, long>? CountRows);

    /// <summary>Runs every store and the recovery rows, and prints the tables.</summary>
    public static async Task RunAsync(BenchOptions options)
    {
        Report.Heading($"Scenario 7 — durable sessions ({options.DurableSessions:N0} sessions, {options.Drivers} drivers, cycle = reserve → publish 3 → finalize)", options);
        var keys = BenchEvents.SessionIds(options.DurableSessions, "durable-");
        using var folder = new TempFolder();
        var postgres = Environment.GetEnvironmentVariable(PostgresVariable);
        var stores = new List<Store>();
        if (!options.Quick && options.Runs("inmem"))
            stores.Add(new Store("inmem", "Akka in-memory journal", new BambooPersistenceOptions { Mode = BambooPersistenceMode.InMemory }, null));
        if (options.Runs("sqlite")) stores.Add(SqliteStore(Path.Combine(folder.Path, "cycles")));
        if (string.IsNullOrEmpty(postgres)) Report.Progress($"durable: {PostgresVariable} is not set; no PostgreSQL rows");
        else if (options.Runs("postgres")) stores.Add(await PostgresStoreAsync(postgres));

        double? sqliteCycles = null, sqliteRowsPerCycle = null;
        var table = new MarkdownTable("sessions on", "cycles/s", "vs memory", "CPU µs/cycle", "alloc B/cycle", "machine CPU %",
            "journal rows/cycle", "journal alone: events/s", "journal alone: CPU µs/event", "journal alone: machine CPU %",
            "recovery of an unseen id: µs CPU (per s)",
            "bound: journal ÷ rows per cycle", "cycles / bound", $"target met (≥ {CloseToBound:0.0})");
        try
        {
            var notDurable = new Store("memory", "memory (not durable)", new BambooPersistenceOptions { Mode = BambooPersistenceMode.None }, null);
            var memory = options.Runs("memory") ? await MeasureCyclesAsync(notDurable, keys, options) : null;
            if (memory is not null)
            {
                table.Row(notDurable.Name, memory.Result.PerSecond, 1.0, memory.Result.CpuMicrosPerOperation, memory.Result.BytesPerOperation,
                    memory.Result.MachineCpuPercent);
            }
            foreach (var store in stores)
            {
                try
                {
                    var durable = await MeasureCyclesAsync(store, keys, options);
                    // Rows written per cycle: measured on the database (facts and the occasional sequence reservation); the
                    // in-memory journal has no table to count, so it takes the SQL stores' figure of two facts per cycle.
                    var rowsPerCycle = durable.JournalRows is { } rows ? (double)rows / durable.Cycles : 2.0;
                    if (store.Key == "sqlite") (sqliteCycles, sqliteRowsPerCycle) = (durable.Result.PerSecond, rowsPerCycle);
                    var journal = options.Quick ? null : await MeasureJournalAsync(store, keys, options);
                    var bound = journal is null ? double.NaN : journal.Result.PerSecond / rowsPerCycle;
                    var ratio = durable.Result.PerSecond / bound;
                    table.Row(store.Name, durable.Result.PerSecond, durable.Result.PerSecond / (memory?.Result.PerSecond ?? double.NaN),
                        durable.Result.CpuMicrosPerOperation, durable.Result.BytesPerOperation, durable.Result.MachineCpuPercent,
                        durable.JournalRows is null ? "(2 facts)" : rowsPerCycle, journal?.Result.PerSecond ?? double.NaN,
                        journal?.Result.CpuMicrosPerOperation ?? double.NaN, journal?.Result.MachineCpuPercent ?? double.NaN,
                        journal is null ? "" : $"{MarkdownTable.Format(journal.RecoveryCpuMicros)} ({MarkdownTable.Format(journal.RecoveriesPerSecond)})",
                        bound, ratio,
                        journal is null ? "" : store.CountRows is null ? "(not a store)" : LifecycleScenario.Met(ratio >= CloseToBound));
                }
                catch (Exception exception)
                {
                    Report.Failure($"durable ({store.Name})", exception);
                    table.Row(store.Name, "failed: " + exception.GetType().Name);
                }
            }
            Report.Table(table);
            Report.Note("Closed loop as in scenario 1 (a): RunnerSupervisor, Ask(Reserve), three Tell(Publish), Ask(Finalize); each driver owns " +
                        $"every {options.Drivers}th session. Every session is started (recovered) first, then {options.DurableWarmup.TotalSeconds:0.#} s " +
                        $"of warm-up (the journal's write path takes that long to be compiled to optimized code), then {options.Measure.TotalSeconds:0.#} s " +
                        $"in {ClosedLoop.Windows} windows; each row is the median window. machine CPU % includes the database server.");
            Report.Note("A durable session persists its facts before it replies: RunStarted at reserve, RunEnded at finalize, and one " +
                        "SequencesReserved per 1,024 event sequences; progress events are not persisted. journal rows/cycle counts the " +
                        "journal table over the whole run (warm-up included); snapshots (every 100 facts) go to their own table.");
            Report.Note($"journal alone: a plain persistent actor per session key persisting one 128-byte event per request, {options.Drivers} " +
                        "drivers in the same closed loop, on the same store and plugin settings. bound = that rate ÷ rows per cycle: the " +
                        "cycles/s the store could sustain if a cycle cost nothing but its writes.");
            Report.Note($"recovery of an unseen id: {options.DurableSessions:N0} more plain persistent actors with ids the store has never seen, " +
                        $"{options.Drivers} at a time, each recovering (the snapshot store's query, the journal's highest sequence number: " +
                        "what a new session's first message costs before it can persist anything); process CPU per recovery, and recoveries/s.");

            if (options.Runs("raw"))
            {
                var raw = new MarkdownTable("raw Microsoft.Data.Sqlite loop", "rows/s", "CPU µs/row", "bound: rows/s ÷ rows per cycle",
                    "SQLite durable cycles/s ÷ bound");
                foreach (var batch in RawBatches)
                {
                    try
                    {
                        var r = await MeasureRawSqliteAsync(Path.Combine(folder.Path, $"raw-{batch}"), batch, options);
                        var bound = r.PerSecond * batch / (sqliteRowsPerCycle ?? 2.0);
                        raw.Row($"{batch} row(s) per transaction", r.PerSecond * batch, r.CpuMicrosPerOperation / batch, bound,
                            sqliteCycles is { } cycles ? cycles / bound : double.NaN);
                    }
                    catch (Exception exception)
                    {
                        Report.Failure($"durable raw SQLite ({batch})", exception);
                        raw.Row($"{batch} row(s) per transaction", "failed: " + exception.GetType().Name);
                    }
                }
                Report.Table(raw);
                Report.Note("The store's ceiling on this machine: one thread inserting the journal's rows (the same table, indexes and " +
                            "row sizes: a 90-byte fact, its manifest, serializer id, writer id, timestamp) with one prepared statement, " +
                            "in transactions of the given size, on a file with the store's connection settings (" +
                            $"{BambooPersistence.SqlitePragmas(new BambooPersistenceOptions())}). bound: the cycles/s these rows would carry " +
                            "at the journal rows per cycle measured above.");
            }

            var recovery = new MarkdownTable("store", "sessions", "populate: cycles/s", "recovery: seconds", "sessions/s", "CPU % (all cores)",
                "answered Completed");
            // SQLite always (a file of its own), PostgreSQL when its rows ran.
            var recoveryStores = !options.Runs("recovery") ? [] :
                stores.Where(s => s.Key == "postgres").Prepend(SqliteStore(Path.Combine(folder.Path, "recovery"))).ToList();
            foreach (var store in recoveryStores)
            {
                try
                {
                    var r = await MeasureRecoveryAsync(store, options);
                    recovery.Row(store.Name, r.Sessions, r.PopulateRate, r.Elapsed.TotalSeconds, r.Sessions / r.Elapsed.TotalSeconds, r.CpuPercent,
                        $"{r.Completed:N0} of {r.Sessions:N0}");
                    if (r.Completed != r.Sessions) Report.Failure($"durable recovery ({store.Name})",
                        new InvalidOperationException($"{r.Sessions - r.Completed} sessions did not recover their finished run"));
                }
                catch (Exception exception)
                {
                    Report.Failure($"durable recovery ({store.Name})", exception);
                    recovery.Row(store.Name, options.RecoverySessions, "failed: " + exception.GetType().Name);
                }
            }
            Report.Table(recovery);
            Report.Note($"Recovery: {options.RecoverySessions:N0} sessions each get one finished run (reserve → 3 events → finalize, " +
                        $"{PopulateConcurrency} at a time), the system stops (supervisor first, then the ActorSystem), and a new ActorSystem on the same " +
                        $"database answers GetStatus for every session, at most {RecoveryConcurrency} at a time; the time runs from creating " +
                        "the new system to the last answer. Each answer must be Completed with the run's id.");
        }
        finally
        {
            if (!string.IsNullOrEmpty(postgres)) await DropPostgresAsync(postgres);
        }
    }

    /// <summary>Sessions given their run at once while populating the recovery database (more than the drivers: a new
    /// session first recovers, and larger write batches fill the database sooner).</summary>
    public const int PopulateConcurrency = 256;

    /// <summary>GetStatus requests in flight at once while recovering.</summary>
    public const int RecoveryConcurrency = 256;

    private sealed record CycleResult(Throughput Result, long Cycles, long? JournalRows);

    private static async Task<CycleResult> MeasureCyclesAsync(Store store, string[] keys, BenchOptions options)
    {
        var before = store.CountRows?.Invoke("journal");
        long cycles = 0;
        using var starts = new RunnerStarts();
        var (_, result) = await LifecycleScenario.MeasureAsync(async () =>
        {
            var (system, supervisor, _) = BenchSystems.CreateDurable("bench-durable", store.Persistence);
            // Every session in memory (recovered from the journal) before the warm-up, so the windows measure cycles only.
            var started = Stopwatch.GetTimestamp();
            await ForEachAsync(keys.Length, RecoveryConcurrency, i => supervisor.Ask<RunnerSnapshot>(new GetStatus(keys[i]), options.AskTimeout));
            Report.Progress($"durable: {keys.Length:N0} sessions of {store.Name} started in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s ({starts.Count:N0} runner starts)");
            starts.Reset();
            return (ILifecycleTarget)new CountingTarget(
                new SupervisorTarget($"durable: {store.Name}", system, supervisor, options.AskTimeout), () => Interlocked.Increment(ref cycles));
        }, keys, options, options.DurableWarmup);
        var rows = store.CountRows?.Invoke("journal") - before;
        Report.Progress($"  {cycles:N0} cycles in all, {(rows is null ? "" : $"{rows:N0} journal rows, ")}{starts.Count:N0} runner starts after the sessions were started");
        return new CycleResult(result, cycles, rows);
    }

    private sealed record JournalResult(Throughput Result, double RecoveryCpuMicros, double RecoveriesPerSecond);

    private static async Task<JournalResult> MeasureJournalAsync(Store store, string[] keys, BenchOptions options)
    {
        var (system, _, settings) = BenchSystems.CreateDurable("bench-journal", store.Persistence);
        try
        {
            Report.Progress($"durable: journal alone, {store.Name}");
            IActorRef Writer(string id) => system.ActorOf(Props.Create(() => new JournalWriter(id, settings.JournalPluginId, settings.SnapshotPluginId)));
            // Every writer recovered (an empty stream) before the warm-up, as the sessions are.
            var writers = keys.ToDictionary(key => key, key => Writer($"journal-probe-{key}"));
            await ForEachAsync(keys.Length, RecoveryConcurrency, i => writers[keys[i]].Ask<object>(JournalWriter.Ping.Instance, options.AskTimeout));
            // What a new session's first touch costs in the store: a second set of ids the store has never seen, recovered
            // the same way (a snapshot query, then the highest sequence number) once the code is warm.
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.GetTimestamp();
            await ForEachAsync(keys.Length, options.Drivers, i => Writer($"journal-unseen-{keys[i]}").Ask<object>(JournalWriter.Ping.Instance, options.AskTimeout));
            var elapsed = Stopwatch.GetElapsedTime(clock);
            var recoveryCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / keys.Length;
            Report.Progress($"  {keys.Length / elapsed.TotalSeconds:N0} recoveries of unseen ids/s, {recoveryCpu:N0} µs CPU each");
            var result = await ClosedLoop.RunAsync(keys, options.Drivers, options.Warmup, options.Measure, async key =>
                await writers[key].Ask<object>(JournalWriter.Write.Instance, options.AskTimeout).ConfigureAwait(false) == JournalWriter.Written.Instance);
            Report.Progress($"  {result.PerSecond:N0} events/s");
            Report.Errors($"durable: journal alone, {store.Name}", result);
            return new JournalResult(result, recoveryCpu, keys.Length / elapsed.TotalSeconds);
        }
        finally
        {
            await BenchSystems.TerminateAsync(system);
        }
    }

    private sealed record RecoveryResult(int Sessions, double PopulateRate, TimeSpan Elapsed, double CpuPercent, int Completed);

    private static async Task<RecoveryResult> MeasureRecoveryAsync(Store store, BenchOptions options)
    {
        var keys = BenchEvents.SessionIds(options.RecoverySessions, $"recovery-{Guid.NewGuid():N}-");
        var runIds = new string?[keys.Length];
        double populateRate;
        {
            Report.Progress($"durable: recovery on {store.Name}, populating {keys.Length:N0} sessions");
            var (system, supervisor, _) = BenchSystems.CreateDurable("bench-populate", store.Persistence);
            var started = Stopwatch.GetTimestamp();
            await ForEachAsync(keys.Length, PopulateConcurrency, async i =>
            {
                var reserved = await supervisor.Ask<Reserved>(new Reserve(keys[i]), options.AskTimeout);
                foreach (var evt in BenchEvents.Cycle) supervisor.Tell(new Publish(keys[i], reserved.RunId, evt));
                var finalized = await supervisor.Ask<Finalized>(new Finalize(keys[i], reserved.RunId, RunOutcome.Completed), options.AskTimeout);
                if (finalized.Status != RunStatus.Completed) throw new InvalidOperationException($"{keys[i]} ended {finalized.Status}");
                runIds[i] = reserved.RunId;
            });
            populateRate = keys.Length / Stopwatch.GetElapsedTime(started).TotalSeconds;
            // Sessions first, then the system, as a process that is stopped: nothing more is written on the way down.
            await supervisor.GracefulStop(TimeSpan.FromMinutes(2));
            await system.Terminate();
            SqliteConnection.ClearAllPools();
            NpgsqlConnection.ClearAllPools();
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        }

        Report.Progress($"durable: recovering {keys.Length:N0} sessions on {store.Name}");
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.GetTimestamp();
        var (recovered, recoveredSupervisor, _) = BenchSystems.CreateDurable("bench-recovered", store.Persistence);
        var completed = 0;
        try
        {
            await ForEachAsync(keys.Length, RecoveryConcurrency, async i =>
            {
                var status = await recoveredSupervisor.Ask<RunnerSnapshot>(new GetStatus(keys[i]), TimeSpan.FromMinutes(2));
                if (status.Status == RunStatus.Completed && status.RunId == runIds[i]) Interlocked.Increment(ref completed);
            });
            var elapsed = Stopwatch.GetElapsedTime(clock);
            var cpuPercent = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds / elapsed.TotalSeconds / Environment.ProcessorCount * 100;
            Report.Progress($"  {elapsed.TotalSeconds:0.0} s");
            return new RecoveryResult(keys.Length, populateRate, elapsed, cpuPercent, completed);
        }
        finally
        {
            await BenchSystems.TerminateAsync(recovered);
        }
    }

    /// <summary>Transaction sizes of the raw SQLite loop: one row per commit, and one per driver.</summary>
    private static readonly int[] RawBatches = [1, 64];

    private const string JournalTable = """
        CREATE TABLE [journal]
        (
            [ordering]        INTEGER        NOT NULL PRIMARY KEY AUTOINCREMENT,
            [created]         INTEGER        NOT NULL,
            [deleted]         Bit            NOT NULL,
            [persistence_id]  NVarChar(255)  NOT NULL,
            [sequence_number] INTEGER        NOT NULL,
            [message]         VarBinary      NOT NULL,
            [manifest]        NVarChar(500)      NULL,
            [identifier]      INTEGER            NULL,
            [writer_uuid]     NVarChar(128)      NULL
        );
        CREATE UNIQUE INDEX journal_uq ON journal (persistence_id, sequence_number);
        CREATE INDEX journal_created_idx ON journal (created);
        CREATE INDEX journal_sequence_number_idx ON journal (sequence_number);
        """;

    /// <summary>The raw ceiling: one connection inserting journal rows with a prepared statement, <paramref name="batch"/> rows
    /// per transaction, in the closed loop's windows. An operation is one transaction.</summary>
    private static async Task<Throughput> MeasureRawSqliteAsync(string dataFolder, int batch, BenchOptions options)
    {
        Report.Progress($"durable: raw Microsoft.Data.Sqlite loop, {batch} row(s) per transaction");
        Directory.CreateDirectory(dataFolder);
        var persistence = new BambooPersistenceOptions { Mode = BambooPersistenceMode.Sqlite, DataFolder = dataFolder };
        BambooPersistence.PrepareSqlite(persistence.EffectiveConnectionString!);
        await using var connection = new SqliteConnection(persistence.EffectiveConnectionString);
        connection.Open();
        await using (var setup = connection.CreateCommand())
        {
            setup.CommandText = BambooPersistence.SqlitePragmas(persistence) + JournalTable;
            setup.ExecuteNonQuery();
        }
        await using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO journal (created, deleted, persistence_id, sequence_number, message, manifest, identifier, writer_uuid) " +
                             "VALUES ($created, 0, $pid, $seq, $message, 'F1', 4711, $writer)";
        var created = insert.Parameters.Add("$created", SqliteType.Integer);
        var pid = insert.Parameters.Add("$pid", SqliteType.Text);
        var seq = insert.Parameters.Add("$seq", SqliteType.Integer);
        insert.Parameters.AddWithValue("$message", new byte[90]);
        insert.Parameters.AddWithValue("$writer", Guid.NewGuid().ToString("N"));
        insert.Prepare();
        long next = 0;
        var result = await ClosedLoop.RunAsync(["raw"], 1, options.Warmup, options.Measure, _ =>
        {
            using var transaction = connection.BeginTransaction();
            insert.Transaction = transaction;
            for (var i = 0; i < batch; i++, next++)
            {
                // 1,000 sessions, each its own increasing sequence numbers.
                created.Value = DateTime.UtcNow.Ticks;
                pid.Value = $"bamboo-session-raw-{next % 1_000}";
                seq.Value = next / 1_000 + 1;
                insert.ExecuteNonQuery();
            }
            transaction.Commit();
            return ValueTask.FromResult(true);
        });
        Report.Progress($"  {result.PerSecond * batch:N0} rows/s");
        return result;
    }

    /// <summary>Runs <paramref name="body"/> for 0 … <paramref name="count"/>-1 with at most <paramref name="concurrency"/> at once.</summary>
    private static Task ForEachAsync(int count, int concurrency, Func<int, Task> body)
    {
        var next = -1;
        return Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count) await body(i).ConfigureAwait(false);
        })));
    }

    private static Store SqliteStore(string dataFolder)
    {
        var persistence = new BambooPersistenceOptions { Mode = BambooPersistenceMode.Sqlite, DataFolder = dataFolder };
        var connectionString = persistence.EffectiveConnectionString!;
        return new Store("sqlite", "SQLite (file, WAL)", persistence, table =>
        {
            if (!File.Exists(new SqliteConnectionStringBuilder(connectionString).DataSource)) return 0;
            using var connection = new SqliteConnection(connectionString);
            connection.Open();
            return CountRows(connection, table);
        });
    }

    /// <summary>A fresh database <c>bamboo_bench</c> on the server of <paramref name="connectionString"/>, so every run starts
    /// from empty tables.</summary>
    private static async Task<Store> PostgresStoreAsync(string connectionString)
    {
        var bench = await PostgresDatabases.CreateFreshAsync(connectionString, BenchDatabase);
        return new Store("postgres", "PostgreSQL (127.0.0.1)", new BambooPersistenceOptions { Mode = BambooPersistenceMode.PostgreSql, ConnectionString = bench },
            table =>
            {
                using var connection = new NpgsqlConnection(bench);
                connection.Open();
                using var exists = connection.CreateCommand();
                exists.CommandText = $"SELECT to_regclass('{table}') IS NOT NULL";
                return (bool)exists.ExecuteScalar()! ? CountRows(connection, table) : 0;
            });
    }

    private static Task DropPostgresAsync(string connectionString) => PostgresDatabases.DropAsync(connectionString, BenchDatabase);

    private static long CountRows(System.Data.Common.DbConnection connection, string table)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {table}";
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Counts session runners starting (increments of the <c>bamboo.sessions.live</c> gauge).</summary>
    private sealed class RunnerStarts : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _count;

        public RunnerStarts()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == BambooMetrics.MeterName && instrument.Name == "bamboo.sessions.live")
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
            {
                if (value > 0) Interlocked.Add(ref _count, value);
            });
            _listener.Start();
        }

        public long Count => Interlocked.Read(ref _count);

        public void Reset() => Interlocked.Exchange(ref _count, 0);

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>Counts the cycles a target completes (warm-up included), to relate them to the rows written.</summary>
    private sealed class CountingTarget(ILifecycleTarget inner, Action completed) : ILifecycleTarget
    {
        public string Name => inner.Name;

        public ValueTask<object?> ReserveAsync(string sessionId) => inner.ReserveAsync(sessionId);

        public async ValueTask<bool> CompleteAsync(object handle)
        {
            var ok = await inner.CompleteAsync(handle).ConfigureAwait(false);
            if (ok) completed();
            return ok;
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    /// <summary>The journal on its own: persists one event per request, then answers.</summary>
    private sealed class JournalWriter : UntypedPersistentActor
    {
        private static readonly byte[] Payload = new byte[128];

        public JournalWriter(string persistenceId, string journalPluginId, string snapshotPluginId)
        {
            PersistenceId = persistenceId;
            if (journalPluginId.Length > 0) JournalPluginId = journalPluginId;
            if (snapshotPluginId.Length > 0) SnapshotPluginId = snapshotPluginId;
        }

        public override string PersistenceId { get; }

        protected override void OnCommand(object message)
        {
            if (message is Write) Persist(Payload, _ => Sender.Tell(Written.Instance));
            else if (message is Ping) Sender.Tell(Written.Instance);
        }

        protected override void OnRecover(object message)
        {
        }

        public sealed class Write
        {
            public static readonly Write Instance = new();
        }

        public sealed class Ping
        {
            public static readonly Ping Instance = new();
        }

        public sealed class Written
        {
            public static readonly Written Instance = new();
        }
    }
}
