using System.Diagnostics;
using System.Net;
using Bamboo.Actors.Benchmarks.Harness;
using Npgsql;
using Bamboo.Actors.TestSupport;

namespace Bamboo.Actors.Benchmarks.Scenarios;

/// <summary>
/// Scenario 11: a 3-process cluster of the real server with production settings (the server's own failure detection and
/// split brain resolver timings, every node a seed, durable on one store) loses a node to SIGKILL; how long until every
/// session answers again through the survivors.
/// </summary>
public static class FailoverScenario
{
    private const int Nodes = 3;

    /// <summary>Runs the scenario and prints its table.</summary>
    public static async Task RunAsync(BenchOptions options, string[] rest)
    {
        var sessions = options.Quick ? 24 : 300;
        Report.Heading($"Scenario 11 — failover: a 3-process cluster, production settings, SIGKILL of one node ({sessions} sessions)", options);
        using var folder = new TempFolder();
        var postgres = Environment.GetEnvironmentVariable(DurableScenario.PostgresVariable);
        var stores = new List<(string Name, Func<Task<(string[] Settings, Func<Task> Cleanup)>> Prepare)>
        {
            ("SQLite (one file, shared folder)", () => Task.FromResult<(string[], Func<Task>)>(
                ([$"--Bamboo:Persistence:DataFolder={Path.Combine(folder.Path, "failover")}"], () => Task.CompletedTask))),
        };
        // The quick smoke run proves the scenario works on the default store; the full run measures both.
        if (string.IsNullOrEmpty(postgres) || options.Quick) Report.Progress($"failover: no PostgreSQL row ({(options.Quick ? "quick run" : $"{DurableScenario.PostgresVariable} is not set")})");
        else stores.Add(("PostgreSQL (127.0.0.1)", () => PostgresAsync(postgres)));

        var table = new MarkdownTable("store", "cluster ready after s", "sessions", "answering through a survivor at the kill",
            "all answering again after s", "median s (sessions that stopped answering)", "p90 s", "answered 5xx while waiting", "target ≤ 15 s");
        foreach (var (name, prepare) in stores)
        {
            var (settings, cleanup) = await prepare();
            try
            {
                await MeasureAsync(name, settings, sessions, table);
            }
            catch (Exception exception)
            {
                Report.Failure($"failover ({name})", exception);
                table.Row(name, "failed: " + Report.Describe(exception));
            }
            finally
            {
                await cleanup();
            }
        }
        Report.Table(table);
        Report.Note("Three `Bamboo.Actors.Server` processes on loopback, every node listing all three as seeds (README's recipe), the " +
                    "server's own settings otherwise (failure detection, `StableAfter`, lease timings: the production defaults). Each session " +
                    "gets a `sleep` run of 10 minutes through node 1 (durable sessions with a run are remembered and restart on a survivor by " +
                    "themselves). Then node 3 is killed with SIGKILL and every session is read (`GET /sessions/{id}`, 2 s per request) " +
                    "through nodes 1 and 2 in turn, over and over, until each has answered 200 after the kill; times are from the kill.");
    }

    private static async Task MeasureAsync(string store, string[] storeSettings, int sessionCount, MarkdownTable table)
    {
        var akkaPorts = Enumerable.Range(0, Nodes).Select(_ => ServerProcess.FreePort()).ToArray();
        var seeds = akkaPorts.Select((port, i) => $"--Bamboo:Cluster:Seeds:{i}=akka.tcp://bamboo@127.0.0.1:{port}").ToArray();
        var clock = Stopwatch.StartNew();
        Report.Progress($"failover: {store}: starting {Nodes} nodes");
        var starting = akkaPorts.Select(port => ServerProcess.StartAsync(ServerProcess.DefaultServerDll(),
            [..storeSettings, "--Bamboo:Cluster:Hostname=127.0.0.1", $"--Bamboo:Cluster:Port={port}", ..seeds,
                "--Logging:LogLevel:Default=Warning"],
            new Dictionary<string, string>(), TimeSpan.FromSeconds(120))).ToArray();
        var nodes = new List<ServerProcess>();
        try
        {
            foreach (var start in starting) nodes.Add(await start);
            var ready = clock.Elapsed;
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var ids = Enumerable.Range(0, sessionCount).Select(i => $"failover-{Guid.NewGuid():N}-{i}").ToArray();
            Report.Progress($"failover: {store}: cluster ready after {ready.TotalSeconds:0.0} s; starting {ids.Length} runs");
            await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (id, cancel) =>
            {
                using var body = new StringContent("""{"agent":"sleep","durationMs":600000}""", System.Text.Encoding.UTF8, "application/json");
                using var started = await http.PostAsync(new Uri(nodes[0].Url, $"/sessions/{Uri.EscapeDataString(id)}/runs"), body, cancel);
                if (started.StatusCode != HttpStatusCode.Accepted)
                    throw new InvalidOperationException($"starting a run in {id} answered {(int)started.StatusCode}");
            });

            var survivors = nodes.Take(Nodes - 1).ToArray();
            var atKill = await CountAnsweringAsync(http, survivors, ids);
            Report.Progress($"failover: {store}: {atKill} of {ids.Length} answering; killing node {Nodes}");
            var killed = Stopwatch.StartNew();
            await nodes[^1].DisposeAsync();
            nodes.RemoveAt(nodes.Count - 1);

            var answeredAt = new TimeSpan?[ids.Length];
            var missed = new bool[ids.Length];
            var serverErrors = 0;
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(180));
            await Parallel.ForEachAsync(Enumerable.Range(0, ids.Length), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
            {
                for (var attempt = 0; !deadline.IsCancellationRequested; attempt++)
                {
                    var node = survivors[attempt % survivors.Length];
                    try
                    {
                        using var answer = await http.GetAsync(new Uri(node.Url, $"/sessions/{Uri.EscapeDataString(ids[i])}"), deadline.Token);
                        if (answer.StatusCode == HttpStatusCode.OK)
                        {
                            answeredAt[i] = killed.Elapsed;
                            return;
                        }
                        if ((int)answer.StatusCode >= 500) Interlocked.Increment(ref serverErrors);
                    }
                    catch (Exception exception) when (exception is TaskCanceledException or HttpRequestException)
                    {
                        // No answer within the request's 2 s: the session is still moving.
                    }
                    missed[i] = true;
                    await Task.Delay(100, CancellationToken.None);
                }
            });
            var unanswered = answeredAt.Count(at => at is null);
            if (unanswered > 0) throw new TimeoutException($"{unanswered} of {ids.Length} sessions did not answer within 180 s of the kill");
            var moved = Enumerable.Range(0, ids.Length).Where(i => missed[i]).Select(i => answeredAt[i]!.Value.TotalSeconds).Order().ToArray();
            var all = answeredAt.Max(at => at!.Value).TotalSeconds;
            Report.Progress($"failover: {store}: every session answering again after {all:0.0} s ({moved.Length} had stopped answering)");
            table.Row(store, ready.TotalSeconds, ids.Length, atKill, all,
                moved.Length == 0 ? double.NaN : moved[moved.Length / 2], moved.Length == 0 ? double.NaN : moved[(int)(moved.Length * 0.9)],
                serverErrors, LifecycleScenario.Met(all <= 15));
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
        }
    }

    private static async Task<int> CountAnsweringAsync(HttpClient http, IReadOnlyList<ServerProcess> nodes, IReadOnlyList<string> ids)
    {
        var answering = 0;
        await Parallel.ForEachAsync(ids.Select((id, i) => (id, i)), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (item, cancel) =>
        {
            try
            {
                using var answer = await http.GetAsync(new Uri(nodes[item.i % nodes.Count].Url, $"/sessions/{Uri.EscapeDataString(item.id)}"), cancel);
                if (answer.StatusCode == HttpStatusCode.OK) Interlocked.Increment(ref answering);
            }
            catch (Exception exception) when (exception is TaskCanceledException or HttpRequestException)
            {
            }
        });
        return answering;
    }

    /// <summary>A fresh database <c>{database}_failover</c> beside the one <paramref name="connectionString"/> names, dropped after.</summary>
    private static async Task<(string[] Settings, Func<Task> Cleanup)> PostgresAsync(string connectionString)
    {
        var database = $"{new NpgsqlConnectionStringBuilder(connectionString).Database ?? "bamboo"}_failover";
        var failover = await PostgresDatabases.CreateFreshAsync(connectionString, database);
        return (["--Bamboo:Persistence:Mode=PostgreSql", $"--Bamboo:Persistence:ConnectionString={failover}"],
            () => PostgresDatabases.DropAsync(connectionString, database));
    }
}
