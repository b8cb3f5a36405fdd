using System.Net;
using System.Text.Json;
using Bamboo.Actors.Benchmarks.Harness;
using Npgsql;
using Bamboo.Actors.TestSupport;

namespace Bamboo.Actors.Benchmarks.Scenarios;

/// <summary>
/// Scenario 9: the real server (<c>dotnet Bamboo.Actors.Server.dll</c>, its own process and runtime settings) driven over
/// loopback by <see cref="Clients"/> concurrent HTTP clients, for each store: new-session reservations from the moment the
/// server is ready (cold) and warm, reused sessions (managed runs queued on <see cref="ReusedSessions"/> sessions), an
/// external worker's whole cycle, and <c>/healthz</c> as the ceiling of the same server in the same run.
/// </summary>
public static class HttpScenario
{
    /// <summary>Concurrent HTTP clients (one connection each).</summary>
    public const int Clients = 32;

    /// <summary>Sessions the reused-session runs are spread over.</summary>
    public const int ReusedSessions = 128;

    private static readonly byte[] EmptyJson = "{}"u8.ToArray();
    private static readonly byte[] EchoEnqueue = """{"agent":"echo","input":"hi","onConflict":"enqueue"}"""u8.ToArray();
    private static readonly byte[] Delta = """{"type":"token_delta","text":"hello"}"""u8.ToArray();
    private static readonly byte[] Completed = """{"outcome":"completed"}"""u8.ToArray();

    private sealed record Store(string Key, string Name, IReadOnlyList<string> Settings, Func<Task>? Cleanup = null);

    /// <summary>Runs every store and prints the table. Arguments after the scenario name are passed to the server
    /// (<c>--Bamboo:Persistence:…=…</c>), except <c>--server-dll=path</c>, which runs another build of the server
    /// (e.g. a ReadyToRun publish), and <c>--server-env=NAME=VALUE</c>, an environment variable of the server process
    /// only (e.g. <c>DOTNET_TieredPGO=0</c>).</summary>
    public static async Task RunAsync(BenchOptions options, string[] rest)
    {
        Report.Heading($"Scenario 9 — HTTP: the server process under {Clients} concurrent clients on loopback, per store", options);
        var serverDll = rest.FirstOrDefault(a => a.StartsWith("--server-dll=", StringComparison.Ordinal))?["--server-dll=".Length..]
                        ?? ServerProcess.DefaultServerDll();
        var environment = rest.Where(a => a.StartsWith("--server-env=", StringComparison.Ordinal))
            .Select(a => a["--server-env=".Length..].Split('=', 2)).ToDictionary(pair => pair[0], pair => pair.ElementAtOrDefault(1) ?? "");
        var extra = rest.Where(a => !a.StartsWith("--server-dll=", StringComparison.Ordinal) && !a.StartsWith("--server-env=", StringComparison.Ordinal))
            .ToArray();
        using var folder = new TempFolder();
        var stores = new List<Store>();
        if (options.Runs("sqlite"))
            stores.Add(new Store("sqlite", "SQLite (default)", [$"--Bamboo:Persistence:DataFolder={Path.Combine(folder.Path, "sqlite")}"]));
        var postgres = Environment.GetEnvironmentVariable(DurableScenario.PostgresVariable);
        if (string.IsNullOrEmpty(postgres)) Report.Progress($"http: {DurableScenario.PostgresVariable} is not set; no PostgreSQL rows");
        else if (options.Runs("postgres")) stores.Add(await PostgresStoreAsync(postgres));
        if (options.Runs("none")) stores.Add(new Store("none", "Persistence:Mode=None", ["--Bamboo:Persistence:Mode=None"]));

        var table = new MarkdownTable("store", "request", "when", "requests/s", "ops/s", "by window (ops/s)", "p50 ms", "p99 ms", "max ms",
            "refused", "server CPU µs/request", "machine CPU %", "ops/s ÷ /healthz req/s");
        var starts = new MarkdownTable("store", "listening after s", "ready after s");
        var cycles = new List<(string Store, HttpWindow Cycle)>();
        foreach (var store in stores)
        {
            try
            {
                await MeasureStoreAsync(store, serverDll, extra, environment, options, table, starts, cycles);
            }
            catch (Exception exception)
            {
                Report.Failure($"http ({store.Name})", exception);
                table.Row(store.Name, "failed: " + Report.Describe(exception));
            }
            finally
            {
                if (store.Cleanup is not null) await store.Cleanup();
            }
        }
        Report.Table(table);
        Report.Table(starts);
        if (cycles.Count > 0) await CompareWithBareKestrelAsync(cycles, environment, options);
        Report.Note($"Server: {Path.GetFileName(serverDll)} as its own process ({string.Join(' ', extra.Prepend("--urls http://127.0.0.1:<free port>"))}" +
                    $"{string.Concat(environment.Select(e => $", environment {e.Key}={e.Value}"))}), " +
                    "appsettings.json as shipped (logging at Information), each store on an empty database. Load: one HttpClient with " +
                    $"{Clients} connections, {Clients} closed loops; latency is each request's round trip.");
        Report.Note($"cold: new-session reservations from the first 200 of /readyz, {options.HttpCold.TotalSeconds:0.#} s, " +
                    $"in windows of {options.HttpColdWindow.TotalSeconds:0.#} s (ops/s of each in 'by window'); the row is the whole period. " +
                    $"warm rows: {options.HttpWarmup.TotalSeconds:0.#} s of the same load untimed, then {options.HttpWindows} windows of " +
                    $"{options.HttpWindow.TotalSeconds:0.#} s; the row is the median window (latencies: all windows merged).");
        Report.Note("new session: POST /sessions/{new id}/reservations {} (201): the session recovers (nothing to read) and persists its run's " +
                    $"start before it answers. reused: POST /sessions/{{one of {ReusedSessions}}}/runs {{agent: echo, onConflict: enqueue}} " +
                    "(202: started or queued; a 409 queue_full is refused). worker cycle: one session per client, POST reservations → 3 × " +
                    "POST events → POST finalize (an op is the cycle, 5 requests).");
    }

    private static async Task MeasureStoreAsync(Store store, string serverDll, string[] extra, IReadOnlyDictionary<string, string> environment,
        BenchOptions options, MarkdownTable table, MarkdownTable starts, List<(string Store, HttpWindow Cycle)>? cycles = null)
    {
        Report.Progress($"http: starting the server on {store.Name}");
        await using var server = await ServerProcess.StartAsync(serverDll, store.Settings.Concat(extra), environment, TimeSpan.FromSeconds(90));
        starts.Row(store.Name, server.Listening.TotalSeconds, server.Ready.TotalSeconds);
        Report.Progress($"  listening after {server.Listening.TotalSeconds:0.00} s, ready after {server.Ready.TotalSeconds:0.00} s");
        var tag = Guid.NewGuid().ToString("N")[..8];

        // Each client numbers its own new sessions: never two reservations on one id.
        Func<int, long, Task> newSession(HttpLoad load, string phase) => (client, n) =>
            load.PostAsync($"/sessions/{phase}-{tag}-{client}-{n}/reservations", EmptyJson, HttpStatusCode.Created);

        var rows = new List<(string Request, string When, HttpWindow Row, IReadOnlyList<HttpWindow> Windows, int RequestsPerOp)>();
        try
        {
            using (var load = new HttpLoad(server.Url, Clients, () => server.Cpu))
            {
                var cold = Enumerable.Repeat(options.HttpColdWindow, (int)Math.Round(options.HttpCold / options.HttpColdWindow)).ToArray();
                Report.Progress($"http: {store.Name}: new sessions, cold");
                var windows = await load.RunAsync(Clients, TimeSpan.Zero, cold, newSession(load, "cold"));
                rows.Add(("POST new session /reservations", $"first {options.HttpCold.TotalSeconds:0.#} s after ready", HttpWindow.Merge(windows), windows, 1));
                Check(load, store, "new sessions, cold");
            }
            rows.Add(await WarmAsync(server, options, store, "POST new session /reservations", 1, load => newSession(load, "warm")));
            rows.Add(await WarmAsync(server, options, store, $"POST /runs on {ReusedSessions} reused sessions (enqueue)", 1, load =>
                (client, n) => load.PostAsync($"/sessions/reused-{tag}-{(client + n * Clients) % ReusedSessions}/runs", EchoEnqueue, HttpStatusCode.Accepted)));
            rows.Add(await WarmAsync(server, options, store, "worker cycle: reserve → 3 events → finalize", 5, load => async (client, _) =>
            {
                var session = $"/sessions/worker-{tag}-{client}";
                var (status, body) = await load.PostAsync($"{session}/reservations", EmptyJson, HttpStatusCode.Created, readBody: true);
                if (status != HttpStatusCode.Created) return;
                using var reserved = JsonDocument.Parse(body!);
                var run = $"{session}/runs/{reserved.RootElement.GetProperty("runId").GetString()}";
                for (var e = 0; e < 3; e++) await load.PostAsync($"{run}/events", Delta, HttpStatusCode.Accepted);
                await load.PostAsync($"{run}/finalize", Completed, HttpStatusCode.OK);
            }));
            var cycle = await WarmAsync(server, options, store, ReserveFinalize, 2, load => ReserveFinalizeCycle(load, $"cycle-{tag}"));
            rows.Add(cycle);
            cycles?.Add((store.Name, cycle.Item3));
            rows.Add(await WarmAsync(server, options, store, "GET /healthz", 1, load => (_, _) => load.GetAsync("/healthz", HttpStatusCode.OK)));
        }
        catch (Exception exception)
        {
            throw new InvalidOperationException($"{exception.Message}{Environment.NewLine}server output:{Environment.NewLine}{server.OutputTail()}", exception);
        }

        var ceiling = rows[^1].Row.RequestsPerSecond;
        foreach (var (request, when, row, windows, requestsPerOp) in rows)
        {
            table.Row(store.Name, request, when, row.RequestsPerSecond, requestsPerOp == 1 ? "" : MarkdownTable.Format(row.PerSecond),
                string.Join(", ", windows.Select(w => MarkdownTable.Format(w.PerSecond))), row.Milliseconds(50), row.Milliseconds(99),
                row.MaxMilliseconds, row.Refused, row.ServerCpuMicrosPerRequest, row.MachineCpuPercent, row.PerSecond / ceiling);
        }
    }

    private const string ReserveFinalize = "HTTP cycle: reserve → finalize";

    /// <summary>One session per client: reserve, then finalize the run it got (2 requests).</summary>
    private static Func<int, long, Task> ReserveFinalizeCycle(HttpLoad load, string prefix) => async (client, _) =>
    {
        var session = $"/sessions/{prefix}-{client}";
        var (status, body) = await load.PostAsync($"{session}/reservations", EmptyJson, HttpStatusCode.Created, readBody: true);
        if (status != HttpStatusCode.Created) return;
        using var reserved = JsonDocument.Parse(body!);
        await load.PostAsync($"{session}/runs/{reserved.RootElement.GetProperty("runId").GetString()}/finalize", Completed, HttpStatusCode.OK);
    };

    /// <summary>
    /// The same reserve → finalize cycle against <see cref="BareKestrel"/> (Kestrel and routing with nothing behind them,
    /// its own process under the same load, the server's runtime settings), and each store's cycle rate against it.
    /// </summary>
    private static async Task CompareWithBareKestrelAsync(IReadOnlyList<(string Store, HttpWindow Cycle)> cycles,
        IReadOnlyDictionary<string, string> environment, BenchOptions options)
    {
        var comparison = new MarkdownTable("store", "server: cycles/s", "bare Kestrel: cycles/s", "server ÷ bare", "target met (≥ 0.5)",
            "server CPU µs/request", "bare CPU µs/request");
        try
        {
            Report.Progress("http: starting the bare Kestrel endpoint");
            var harness = typeof(BareKestrel).Assembly.Location;
            // The server's runtime settings where the harness's differ (its project turns dynamic PGO off).
            var settings = new Dictionary<string, string>(environment) { ["DOTNET_TieredPGO"] = environment.GetValueOrDefault("DOTNET_TieredPGO", "0") };
            await using var bare = await ServerProcess.StartAsync(harness, [BareKestrel.Argument], settings, TimeSpan.FromSeconds(60));
            var bareStore = new Store("bare", "bare Kestrel", []);
            var (_, _, bareCycle, _, _) = await WarmAsync(bare, options, bareStore, ReserveFinalize, 2,
                load => ReserveFinalizeCycle(load, $"bare-{Guid.NewGuid():N}"));
            foreach (var (store, cycle) in cycles)
            {
                var ratio = cycle.PerSecond / bareCycle.PerSecond;
                comparison.Row(store, cycle.PerSecond, bareCycle.PerSecond, ratio, LifecycleScenario.Met(ratio >= 0.5),
                    cycle.ServerCpuMicrosPerRequest, bareCycle.ServerCpuMicrosPerRequest);
            }
        }
        catch (Exception exception)
        {
            Report.Failure("http (bare Kestrel)", exception);
            comparison.Row("bare Kestrel", "failed: " + Report.Describe(exception));
        }
        Report.Table(comparison);
        Report.Note("HTTP reserve → finalize cycles/s of each store's server (its warm row above) against the same cycle on a bare Kestrel " +
                    "endpoint: the same two POSTs, bodies read and JSON answers of the same shape, nothing behind them (" +
                    $"`dotnet Bamboo.Actors.Benchmarks.dll {BareKestrel.Argument}`, its own process, Server GC, dynamic PGO off as in the " +
                    $"server), measured after the servers by the same load ({Clients} clients, median of {options.HttpWindows} windows).");
    }

    private static async Task<(string, string, HttpWindow, IReadOnlyList<HttpWindow>, int)> WarmAsync(ServerProcess server, BenchOptions options,
        Store store, string request, int requestsPerOp, Func<HttpLoad, Func<int, long, Task>> operation)
    {
        Report.Progress($"http: {store.Name}: {request}");
        using var load = new HttpLoad(server.Url, Clients, () => server.Cpu);
        var windows = await load.RunAsync(Clients, options.HttpWarmup, Enumerable.Repeat(options.HttpWindow, options.HttpWindows).ToArray(),
            operation(load));
        var median = windows.OrderBy(w => w.PerSecond).ElementAt(windows.Count / 2);
        var merged = HttpWindow.Merge(windows);
        Check(load, store, request);
        Report.Progress($"  {median.RequestsPerSecond:N0} requests/s (median window), p99 {merged.Milliseconds(99):0.0} ms");
        // The median window's rate and CPU; the latency of every window.
        return (request, "warm", median with { Latency = merged.Latency }, windows, requestsPerOp);
    }

    /// <summary>Requests that threw, or were refused when nothing should be, fail the measurement (the row still prints).</summary>
    private static void Check(HttpLoad load, Store store, string what)
    {
        if (load.Errors > 0)
            Report.Failure($"http ({store.Name}, {what}): {load.Errors:N0} request(s) threw (first: {load.FirstError})", comparison: false);
        if (load.FirstRefusal is { } refusal)
            Report.Progress($"http ({store.Name}, {what}): refused, first: {refusal}");
    }

    /// <summary>A fresh database <c>{database}_http</c> beside the one <paramref name="connectionString"/> names, dropped
    /// afterwards, so parallel runs on one server (each with its own database) do not collide.</summary>
    private static async Task<Store> PostgresStoreAsync(string connectionString)
    {
        var database = $"{new NpgsqlConnectionStringBuilder(connectionString).Database ?? "bamboo"}_http";
        var bench = await PostgresDatabases.CreateFreshAsync(connectionString, database);
        return new Store("postgres", "PostgreSQL (127.0.0.1)",
            ["--Bamboo:Persistence:Mode=PostgreSql", $"--Bamboo:Persistence:ConnectionString={bench}"],
            () => PostgresDatabases.DropAsync(connectionString, database));
    }
}
