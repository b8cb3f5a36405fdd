using System.Diagnostics;
using System.Net;
using Bamboo.Actors.Benchmarks.Harness;
using Bamboo.Actors.Runners;
using Microsoft.Data.Sqlite;

namespace Bamboo.Actors.Benchmarks.Scenarios;

/// <summary>
/// Scenario 10: the default server (SQLite) over a journal that has grown. The journal is filled with tagged facts the
/// read model has already applied (its stored offset is moved past them), as a server that has run for a while has;
/// then the server is started on it and measured idle (its CPU while nothing is asked: the read model's polls of the
/// journal) and under new-session load. Arguments: <c>--server-dll=path</c> runs another build of the server.
/// </summary>
public static class JournalSizeScenario
{
    private const int Clients = HttpScenario.Clients;

    private static readonly byte[] EmptyJson = "{}"u8.ToArray();

    private static IReadOnlyList<int> Sizes(BenchOptions options) => options.Quick ? [0, 20_000] : [0, 250_000, 1_000_000];

    private static TimeSpan Idle(BenchOptions options) => options.Quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(10);

    /// <summary>Left out before the idle measurement: start-up's own work (compilation, the first polls) settles.</summary>
    private static TimeSpan Settle(BenchOptions options) => options.Quick ? TimeSpan.FromMilliseconds(500) : TimeSpan.FromSeconds(5);

    /// <summary>Runs every journal size and prints the table.</summary>
    public static async Task RunAsync(BenchOptions options, string[] rest)
    {
        Report.Heading("Scenario 10 — the default server (SQLite) over a grown journal: idle CPU and new sessions", options);
        var serverDll = rest.FirstOrDefault(a => a.StartsWith("--server-dll=", StringComparison.Ordinal))?["--server-dll=".Length..]
                        ?? ServerProcess.DefaultServerDll();
        var table = new MarkdownTable("facts in the journal", "filled in s", "ready after s", "idle server CPU ms/s", "new sessions/s",
            "p50 ms", "p99 ms", "server CPU µs/request", "read model caught up, s after the load");
        foreach (var size in Sizes(options))
        {
            try
            {
                await MeasureAsync(size, serverDll, options, table);
            }
            catch (Exception exception)
            {
                Report.Failure($"journal size {size:N0}", exception);
                table.Row(size, "failed: " + Report.Describe(exception));
            }
        }
        Report.Table(table);
        Report.Note($"Server: {Path.GetFileName(serverDll)} as its own process, SQLite in an empty data folder. Each journal is filled " +
                    "with copies of one real tagged fact under their own persistence ids, the read model's offset moved past them. Idle: " +
                    $"the server's CPU over {Idle(options).TotalSeconds:0.#} s from {Settle(options).TotalSeconds:0.#} s after ready, with no request. New sessions: POST " +
                    $"/sessions/{{new id}}/reservations from {Clients} clients, {options.HttpWarmup.TotalSeconds:0.#} s untimed, then " +
                    $"{options.HttpWindows} windows of {options.HttpWindow.TotalSeconds:0.#} s; the median window. Caught up: from the end of the " +
                    "load until the read model's stored offset reaches the journal's last tagged fact (polled every 100 ms).");
    }

    private static async Task MeasureAsync(int size, string serverDll, BenchOptions options, MarkdownTable table)
    {
        using var folder = new TempFolder();
        string[] settings = [$"--Bamboo:Persistence:DataFolder={folder.Path}"];
        var empty = new Dictionary<string, string>();

        // A first start creates the journal, the read model and one real fact to copy.
        Report.Progress($"journal: {size:N0} facts: first start");
        await using (var first = await ServerProcess.StartAsync(serverDll, settings, empty, TimeSpan.FromSeconds(90)))
        using (var load = new HttpLoad(first.Url, 1, () => first.Cpu))
        {
            var (status, _) = await load.PostAsync("/sessions/journal-seed/reservations", EmptyJson, HttpStatusCode.Created);
            if (status != HttpStatusCode.Created) throw new InvalidOperationException($"the seed reservation answered {status}");
            await WaitForProjectionAsync(Path.Combine(folder.Path, "bamboo.db"));
        }

        var clock = Stopwatch.StartNew();
        await FillAsync(Path.Combine(folder.Path, "bamboo.db"), size);
        var filled = clock.Elapsed;

        Report.Progress($"journal: {size:N0} facts: measuring");
        await using var server = await ServerProcess.StartAsync(serverDll, settings, empty, TimeSpan.FromSeconds(180));
        await Task.Delay(Settle(options));
        var before = server.Cpu;
        await Task.Delay(Idle(options));
        var idle = (server.Cpu - before).TotalMilliseconds / Idle(options).TotalSeconds;

        using var http = new HttpLoad(server.Url, Clients, () => server.Cpu);
        var windows = await http.RunAsync(Clients, options.HttpWarmup, Enumerable.Repeat(options.HttpWindow, options.HttpWindows).ToArray(),
            (client, n) => http.PostAsync($"/sessions/new-{client}-{n}/reservations", EmptyJson, HttpStatusCode.Created));
        if (http.Errors > 0) Report.Failure($"journal size {size:N0}: {http.Errors:N0} request(s) threw (first: {http.FirstError})", comparison: false);
        var median = windows.OrderBy(w => w.PerSecond).ElementAt(windows.Count / 2);
        var merged = HttpWindow.Merge(windows);
        var caughtUp = await CatchUpAsync(Path.Combine(folder.Path, "bamboo.db"), CatchUpLimit(options));
        Report.Progress($"  idle {idle:0.0} ms CPU/s, {median.RequestsPerSecond:N0} new sessions/s, read model caught up after " +
                        (caughtUp is { } c ? $"{c.TotalSeconds:0.0} s" : "more than the limit"));
        table.Row(size, filled.TotalSeconds, server.Ready.TotalSeconds, idle, median.RequestsPerSecond, merged.Milliseconds(50),
            merged.Milliseconds(99), median.ServerCpuMicrosPerRequest,
            caughtUp is { } t ? t.TotalSeconds : $"> {CatchUpLimit(options).TotalSeconds:0}");
    }

    private static TimeSpan CatchUpLimit(BenchOptions options) => options.Quick ? TimeSpan.FromSeconds(30) : TimeSpan.FromSeconds(120);

    /// <summary>How long after the load the read model's stored offset reaches the journal's last tagged fact; null
    /// when it has not within <paramref name="limit"/>.</summary>
    private static async Task<TimeSpan?> CatchUpAsync(string database, TimeSpan limit)
    {
        await using var connection = Open(database);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT (SELECT max(offset_value) FROM bamboo_history_offsets) >= (SELECT max(ordering_id) FROM tags)";
            if (Convert.ToInt64(await command.ExecuteScalarAsync()) == 1) return clock.Elapsed;
            await Task.Delay(100);
        }
        return null;
    }

    /// <summary>Waits until the read model has applied the seed's facts (its stored offset reached the last tagged one).</summary>
    private static async Task WaitForProjectionAsync(string database)
    {
        if (await CatchUpAsync(database, TimeSpan.FromSeconds(20)) is null)
            throw new TimeoutException("the read model did not apply the seed's facts in 20 s");
    }

    /// <summary>Adds <paramref name="size"/> copies of the journal's first tagged fact, each under its own persistence id,
    /// tagged like it, and moves the read model's offset past them.</summary>
    private static async Task FillAsync(string database, int size)
    {
        if (size == 0) return;
        await using var connection = Open(database);
        await using var transaction = connection.BeginTransaction();
        string[] statements =
        [
            $"""
            WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < {size})
            INSERT INTO journal (created, deleted, persistence_id, sequence_number, message, manifest, identifier, writer_uuid)
            SELECT f.created, 0, 'filler-' || n.x, 1, f.message, f.manifest, f.identifier, 'filler'
            FROM n, (SELECT j.* FROM journal j JOIN tags t ON t.ordering_id = j.ordering ORDER BY j.ordering LIMIT 1) f
            """,
            $"""
            INSERT INTO tags (ordering_id, tag, sequence_nr, persistence_id)
            SELECT ordering, '{SessionFacts.Tag}', 1, persistence_id FROM journal WHERE writer_uuid = 'filler'
            """,
            "UPDATE bamboo_history_offsets SET offset_value = (SELECT max(ordering) FROM journal)",
        ];
        foreach (var sql in statements)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            command.CommandTimeout = 600;
            await command.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
    }

    private static SqliteConnection Open(string database)
    {
        var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        connection.Open();
        return connection;
    }
}
