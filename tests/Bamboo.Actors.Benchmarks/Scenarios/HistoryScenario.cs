using System.Diagnostics;
using System.Diagnostics.Metrics;
using Akka.Actor;
using Bamboo.Actors.Benchmarks.Harness;
using Bamboo.Actors.Benchmarks.Targets;
using Bamboo.Actors.Diagnostics;
using Bamboo.Actors.History;
using Bamboo.Actors.Hosting;
using Bamboo.Actors.Protocol;
using Npgsql;
using Bamboo.Actors.TestSupport;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Benchmarks.Scenarios;

/// <summary>
/// Scenario 8: the read model. (a) Projection lag — from a fact's journal write to the commit of the read-model batch
/// that applied it (<c>bamboo.history.lag</c>) — while scenario 7's durable cycle runs in a closed loop, with the cycles/s
/// it reaches meanwhile; (b) list query latency on a store seeded directly with many sessions and runs.
/// </summary>
public static class HistoryScenario
{
    private const string QueryPlugin = "akka.persistence.query.journal." + BambooPersistence.SqlPluginIdentifier;
    private const string BenchDatabase = "bamboo_bench_history";

    private static int SeedSessions(BenchOptions options) => options.Quick ? 1_000 : 100_000;

    private const int RunsPerSeededSession = 10;

    /// <summary>Each seeded run's output, as an SQL literal.</summary>
    private const string OutputSql = """'{"answer":42}'""";

    private static int Queries(BenchOptions options) => options.Quick ? 200 : 2_000;

    /// <summary>Runs both parts on SQLite, and on PostgreSQL when <c>BAMBOO_TEST_POSTGRES</c> is set.</summary>
    public static async Task RunAsync(BenchOptions options)
    {
        Report.Heading($"Scenario 8 — read model ({options.DurableSessions:N0} sessions under load, {SeedSessions(options):N0} sessions × " +
                       $"{RunsPerSeededSession} runs seeded)", options);
        using var folder = new TempFolder();
        var postgres = Environment.GetEnvironmentVariable(DurableScenario.PostgresVariable);
        var stores = new List<(string Name, BambooPersistenceOptions Persistence, HistoryStoreKind Kind)>
        {
            ("SQLite (file, WAL)", new BambooPersistenceOptions { Mode = BambooPersistenceMode.Sqlite, DataFolder = Path.Combine(folder.Path, "lag") },
                HistoryStoreKind.Sqlite),
        };
        string? bench = null;
        if (string.IsNullOrEmpty(postgres)) Report.Progress($"history: {DurableScenario.PostgresVariable} is not set; no PostgreSQL rows");
        else
        {
            bench = await CreatePostgresAsync(postgres);
            stores.Add(("PostgreSQL (127.0.0.1)", new BambooPersistenceOptions { Mode = BambooPersistenceMode.PostgreSql, ConnectionString = bench },
                HistoryStoreKind.PostgreSql));
        }
        try
        {
            var lag = new MarkdownTable("sessions on", "drivers", "cycles/s with the projection", "facts applied", "facts applied/s", "lag p50 ms", "lag p99 ms",
                "lag max ms");
            foreach (var (name, persistence, kind) in stores)
            {
                // A light load (a few drivers) and the saturating closed loop of scenario 7.
                foreach (var drivers in new[] { LightDrivers, options.Drivers }.Distinct())
                {
                    try
                    {
                        var r = await MeasureLagAsync(persistence, kind, options, drivers);
                        lag.Row(name, drivers, r.CyclesPerSecond, r.Samples, r.Samples / options.Measure.TotalSeconds, r.P50, r.P99, r.Max);
                    }
                    catch (Exception exception)
                    {
                        Report.Failure($"history lag ({name}, {drivers} drivers)", exception);
                        lag.Row(name, drivers, "failed: " + exception.GetType().Name);
                    }
                }
            }
            Report.Table(lag);
            Report.Note($"The durable cycle of scenario 7 (reserve → publish 3 → finalize, over {options.DurableSessions:N0} sessions; {LightDrivers} " +
                        $"drivers, then {options.Drivers}) with the journal projection running in the same process (poll-interval 100 ms, batches of 500). Lag is " +
                        "measured per fact from its journal row's timestamp to the commit of the batch that applied it, over the measured " +
                        "windows only (warm-up excluded).");

            var queries = new MarkdownTable("store", "sessions", "runs", "seed: seconds", "GET /sessions?limit=50 p50 ms", "p99 ms",
                "deep page (cursor) p99 ms", "status filter p99 ms", "GET …/runs?limit=50 p50 ms", "p99 ms");
            var seeded = new List<(string, HistoryStoreKind, string)> { ("SQLite (file, WAL)", HistoryStoreKind.Sqlite, $"Data Source={Path.Combine(folder.Path, "seeded.db")}") };
            if (bench is not null) seeded.Add(("PostgreSQL (127.0.0.1)", HistoryStoreKind.PostgreSql, bench));
            foreach (var (name, kind, connectionString) in seeded)
            {
                try
                {
                    var q = await MeasureQueriesAsync(kind, connectionString, options);
                    queries.Row(name, SeedSessions(options), SeedSessions(options) * RunsPerSeededSession, q.Seed.TotalSeconds, q.First.P50, q.First.P99,
                        q.Deep.P99, q.Filtered.P99, q.Runs.P50, q.Runs.P99);
                }
                catch (Exception exception)
                {
                    Report.Failure($"history queries ({name})", exception);
                    queries.Row(name, "failed: " + exception.GetType().Name);
                }
            }
            Report.Table(queries);
            Report.Note($"Rows inserted directly (one INSERT … SELECT per table), then {Queries(options):N0} queries of each kind through the store " +
                        "(IHistoryStore, what the endpoints call; HTTP adds its own fraction of a millisecond), one at a time: the first page of " +
                        "sessions; a page after a cursor at a random depth; the first page filtered by status; the runs of a random session.");
        }
        finally
        {
            if (bench is not null) await DropPostgresAsync(postgres!);
        }
    }

    private sealed record LagResult(double CyclesPerSecond, int Samples, double P50, double P99, double Max);

    /// <summary>Drivers of the light load.</summary>
    private const int LightDrivers = 4;

    private static async Task<LagResult> MeasureLagAsync(BambooPersistenceOptions persistence, HistoryStoreKind kind, BenchOptions options, int drivers)
    {
        var hocon = $"{QueryPlugin}.refresh-interval = 100ms\n{QueryPlugin}.journal-sequence-retrieval.query-delay = 100ms\n";
        var (system, supervisor, _) = BenchSystems.CreateDurable("bench-history", persistence, hocon);
        var samples = new List<double>();
        var measuring = false;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == BambooMetrics.MeterName && instrument.Name == "bamboo.history.lag") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            lock (samples)
            {
                if (measuring) samples.Add(value);
            }
        });
        listener.Start();
        try
        {
            var store = new SqlHistoryStore(kind, persistence.EffectiveConnectionString!, 100);
            var settings = HistorySettings.Default with
            {
                Store = kind, ConnectionString = persistence.EffectiveConnectionString!, ReadJournal = QueryPlugin, PollInterval = TimeSpan.FromMilliseconds(100),
            };
            system.ActorOf(HistoryProjection.Props(store, settings, supervisor: null), "history");
            var keys = BenchEvents.SessionIds(options.DurableSessions, "history-");
            Report.Progress($"history: lag on {persistence.Mode}, {drivers} drivers");
            // Every session started (recovered) before the warm-up, as in scenario 7.
            await Task.WhenAll(keys.Chunk(Math.Max(1, keys.Length / 64)).Select(async chunk =>
            {
                foreach (var key in chunk) await supervisor.Ask<RunnerSnapshot>(new GetStatus(key), options.AskTimeout).ConfigureAwait(false);
            }));
            var warmup = options.DurableWarmup;
            _ = Task.Delay(warmup).ContinueWith(_ =>
            {
                lock (samples) measuring = true;
            }, TaskScheduler.Default);
            var result = await ClosedLoop.RunAsync(keys, drivers, warmup, options.Measure, async key =>
            {
                var reserved = await supervisor.Ask<Reserved>(new Reserve(key), options.AskTimeout).ConfigureAwait(false);
                foreach (var evt in BenchEvents.Cycle) supervisor.Tell(new Publish(key, reserved.RunId, evt));
                var finalized = await supervisor.Ask<Finalized>(new Finalize(key, reserved.RunId, RunOutcome.Completed), options.AskTimeout).ConfigureAwait(false);
                return finalized.Status == RunStatus.Completed;
            });
            lock (samples) measuring = false;
            Report.Errors($"history: lag on {persistence.Mode}", result);
            if (samples.Count == 0)
            {
                // A quick run's windows can end before the projection's first batch; a full run must see facts applied.
                if (!options.Quick) throw new InvalidOperationException("the projection applied no fact while the cycles ran");
                return new LagResult(result.PerSecond, 0, double.NaN, double.NaN, double.NaN);
            }
            samples.Sort();
            Report.Progress($"  {result.PerSecond:N0} cycles/s, {samples.Count:N0} facts, p99 {Percentile(samples, 0.99):0.0} ms");
            return new LagResult(result.PerSecond, samples.Count, Percentile(samples, 0.5), Percentile(samples, 0.99), samples[^1]);
        }
        finally
        {
            await supervisor.GracefulStop(TimeSpan.FromSeconds(30));
            await BenchSystems.TerminateAsync(system);
        }
    }

    private sealed record Latency(double P50, double P99);

    private sealed record QueryResult(TimeSpan Seed, Latency First, Latency Deep, Latency Filtered, Latency Runs);

    private static async Task<QueryResult> MeasureQueriesAsync(HistoryStoreKind kind, string connectionString, BenchOptions options)
    {
        if (kind == HistoryStoreKind.Sqlite) BambooPersistence.PrepareSqlite(connectionString);
        await using var store = new SqlHistoryStore(kind, connectionString, 100);
        await store.InitializeAsync(CancellationToken.None);
        var sessions = SeedSessions(options);
        Report.Progress($"history: seeding {sessions:N0} sessions and {sessions * RunsPerSeededSession:N0} runs ({kind})");
        var clock = Stopwatch.StartNew();
        await SeedAsync(kind, connectionString, sessions);
        var seed = clock.Elapsed;
        Report.Progress($"  seeded in {seed.TotalSeconds:0.0} s");

        var random = new Random(42);
        var first = await TimeAsync(options, () => store.ListSessionsAsync(new ListQuery(null, null, 50), CancellationToken.None));
        var deep = await TimeAsync(options, () =>
        {
            var at = random.Next(sessions);
            var cursor = new HistoryCursor(new DateTimeOffset(BaseTicks + at * TimeSpan.TicksPerSecond, TimeSpan.Zero), SessionId(at));
            return store.ListSessionsAsync(new ListQuery(null, cursor, 50), CancellationToken.None);
        });
        var filtered = await TimeAsync(options, () => store.ListSessionsAsync(new ListQuery(RunStatus.Error, null, 50), CancellationToken.None));
        var runs = await TimeAsync(options, () => store.ListRunsAsync(SessionId(random.Next(sessions)), new ListQuery(null, null, 50), CancellationToken.None));
        return new QueryResult(seed, first, deep, filtered, runs);
    }

    private static async Task<Latency> TimeAsync<T>(BenchOptions options, Func<Task<T>> query)
    {
        for (var i = 0; i < 20; i++) await query();
        var times = new List<double>(Queries(options));
        for (var i = 0; i < Queries(options); i++)
        {
            var started = Stopwatch.GetTimestamp();
            await query();
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        times.Sort();
        return new Latency(Percentile(times, 0.5), Percentile(times, 0.99));
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static readonly long BaseTicks = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks;

    private static string SessionId(int i) => $"seeded-{i:D7}";

    /// <summary>Sessions seeded-0000000 …, one a second from <see cref="BaseTicks"/>, each with its last run's status cycling
    /// through the statuses, and <see cref="RunsPerSeededSession"/> runs each, one a second apart.</summary>
    private static async Task SeedAsync(HistoryStoreKind kind, string connectionString, int sessions)
    {
        var tick = TimeSpan.TicksPerSecond;
        string[] statements = kind == HistoryStoreKind.Sqlite
            ?
            [
                $"""
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {sessions - 1})
                INSERT INTO bamboo_history_sessions (session_id, status, run_id, started_at, ended_at, error, last_event_at, round_count, last_tool_name, last_sequence, run_count)
                SELECT printf('seeded-%07d', i), i % 5, printf('%08d-0000-0000-0000-%012d', i, {RunsPerSeededSession - 1}), {BaseTicks} + i * {tick},
                  {BaseTicks} + i * {tick}, NULL, {BaseTicks} + i * {tick}, 3, 'search', 40, {RunsPerSeededSession} FROM n
                """,
                $"""
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {sessions * RunsPerSeededSession - 1})
                INSERT INTO bamboo_history_runs (session_id, run_id, status, created_at, started_at, ended_at, error, on_conflict, agent, input, output, round_count, last_tool_name, last_sequence, cancel_requested)
                SELECT printf('seeded-%07d', i / {RunsPerSeededSession}), printf('%08d-0000-0000-0000-%012d', i / {RunsPerSeededSession}, i % {RunsPerSeededSession}),
                  2, {BaseTicks} + i * {tick}, {BaseTicks} + i * {tick}, {BaseTicks} + i * {tick} + {tick / 2}, NULL, 0, 'echo', '"hello"', {OutputSql}, 3, 'search', 4, 0 FROM n
                """,
            ]
            :
            [
                $"""
                INSERT INTO bamboo_history_sessions (session_id, status, run_id, started_at, ended_at, error, last_event_at, round_count, last_tool_name, last_sequence, run_count)
                SELECT 'seeded-' || lpad(i::text, 7, '0'), i % 5, lpad(i::text, 8, '0') || '-0000-0000-0000-' || lpad('{RunsPerSeededSession - 1}', 12, '0'),
                  {BaseTicks} + i * {tick}::bigint, {BaseTicks} + i * {tick}::bigint, NULL, {BaseTicks} + i * {tick}::bigint, 3, 'search', 40, {RunsPerSeededSession}
                FROM generate_series(0, {sessions - 1}) AS i
                """,
                $"""
                INSERT INTO bamboo_history_runs (session_id, run_id, status, created_at, started_at, ended_at, error, on_conflict, agent, input, output, round_count, last_tool_name, last_sequence, cancel_requested)
                SELECT 'seeded-' || lpad((i / {RunsPerSeededSession})::text, 7, '0'), lpad((i / {RunsPerSeededSession})::text, 8, '0') || '-0000-0000-0000-' || lpad((i % {RunsPerSeededSession})::text, 12, '0'),
                  2, {BaseTicks} + i * {tick}::bigint, {BaseTicks} + i * {tick}::bigint, {BaseTicks} + i * {tick}::bigint + {tick / 2}, NULL, 0, 'echo', '"hello"', {OutputSql}, 3, 'search', 4, 0
                FROM generate_series(0, {sessions * RunsPerSeededSession - 1}::bigint) AS i
                """,
                "ANALYZE bamboo_history_sessions",
                "ANALYZE bamboo_history_runs",
            ];
        System.Data.Common.DbConnection connection = kind == HistoryStoreKind.Sqlite
            ? new Microsoft.Data.Sqlite.SqliteConnection(connectionString)
            : new NpgsqlConnection(connectionString);
        await using (connection)
        {
            await connection.OpenAsync();
            foreach (var sql in statements)
            {
                await using var command = connection.CreateCommand();
                command.CommandText = sql;
                command.CommandTimeout = 600;
                await command.ExecuteNonQueryAsync();
            }
        }
    }

    private static Task<string> CreatePostgresAsync(string connectionString) => PostgresDatabases.CreateFreshAsync(connectionString, BenchDatabase);

    private static Task DropPostgresAsync(string connectionString) => PostgresDatabases.DropAsync(connectionString, BenchDatabase);
}
