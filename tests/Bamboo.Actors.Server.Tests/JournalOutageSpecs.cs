using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Bamboo.Actors.TestSupport;
using Npgsql;
using Xunit.Abstractions;

namespace Bamboo.Actors.Server.Tests;

/// <summary>
/// The database goes away under load and comes back (a stopped PostgreSQL, through a proxy this spec cuts): meanwhile
/// durable sessions answer 503, the process stays up; afterwards service resumes by itself within seconds, and every
/// run acknowledged before the outage is still there (a write answered 503 as the connection was cut may have been
/// committed: its session shows it, by the same run).
/// </summary>
public sealed class JournalOutageSpecs(ITestOutputHelper output)
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(5);

    [SkippableFact]
    public async Task Should_answer_503_during_a_database_outage_lose_nothing_and_serve_again_after_it()
    {
        var missing = TestPostgres.MissingReason();
        Skip.If(missing is not null, missing);
        var database = new NpgsqlConnectionStringBuilder(TestPostgres.ConnectionString);
        await using var proxy = TcpProxy.Start(database.Host!, database.Port);
        var throughProxy = new NpgsqlConnectionStringBuilder(TestPostgres.ConnectionString) { Host = "127.0.0.1", Port = proxy.Port, Timeout = 3, CommandTimeout = 3 };
        await using var server = await RunningServer.StartAsync(
            "--Bamboo:Persistence:Mode=PostgreSql", $"--Bamboo:Persistence:ConnectionString={throughProxy}", "--Bamboo:AskTimeout=00:00:03");
        var prefix = $"outage-{Guid.NewGuid():N}"[..15];
        string Session(string name) => $"{prefix}-{name}";

        // The journal's first use (connections, prepared queries, JIT) can outlast the short answer timeout on a loaded
        // machine: warm it up first, so the outage is the only thing measured.
        HttpStatusCode warm;
        var warmUp = Stopwatch.StartNew();
        do warm = (await server.PostJsonAsync(RunningServer.Path(Session("warm-up"), "/reservations"), "{}")).StatusCode;
        while (warm is not (HttpStatusCode.Created or HttpStatusCode.Conflict) && warmUp.Elapsed < TimeSpan.FromSeconds(60));

        var runs = new Dictionary<string, string>();
        foreach (var name in new[] { "a", "b", "c" })
        {
            var (response, body) = await server.PostAsync(RunningServer.Path(Session(name), "/reservations"), """{"deadlineMs":600000}""");
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"{response.StatusCode} {body}");
            runs[name] = body.GetProperty("runId").GetString()!;
        }

        proxy.Cut();
        var clock = Stopwatch.StartNew();
        // Eight clients keep writing through the outage: finalizes of a run acknowledged before it, and new sessions.
        var clients = Enumerable.Range(0, 8).Select(async client =>
        {
            var statuses = new List<HttpStatusCode>();
            while (clock.Elapsed < Outage)
            {
                var path = client % 2 == 0
                    ? RunningServer.Path(Session("a"), $"/runs/{runs["a"]}/finalize")
                    : RunningServer.Path(Session($"new-{client}-{statuses.Count}"), "/reservations");
                statuses.Add((await server.PostJsonAsync(path, client % 2 == 0 ? """{"outcome":"completed"}""" : "{}")).StatusCode);
                Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/healthz")).StatusCode);
            }
            return statuses;
        }).ToList();
        var during = (await Task.WhenAll(clients)).SelectMany(statuses => statuses).ToList();
        proxy.Restore();
        var restored = clock.Elapsed;

        // Writes during the outage were all refused as unavailable: none is a success, none a 500.
        Assert.NotEmpty(during);
        Assert.All(during, status => Assert.Equal(HttpStatusCode.ServiceUnavailable, status));

        // Service resumes by itself: a new session is served again within seconds.
        HttpStatusCode again;
        do
        {
            again = (await server.PostJsonAsync(RunningServer.Path(Session($"after-{clock.ElapsedMilliseconds}"), "/reservations"), "{}")).StatusCode;
        }
        while (again != HttpStatusCode.Created && clock.Elapsed < restored + TimeSpan.FromSeconds(30));
        var resumed = clock.Elapsed - restored;
        output.WriteLine($"{during.Count} requests during a {Outage.TotalSeconds:F0} s outage, all 503; served again {resumed.TotalSeconds:F1} s after the database returned");
        Assert.Equal(HttpStatusCode.Created, again);
        Assert.True(resumed < TimeSpan.FromSeconds(10), $"served again only {resumed.TotalSeconds:F1} s after the database returned");

        // Nothing acknowledged before the outage was lost. Sessions b and c were not written during it: still running.
        // Session a's finalizes were answered 503, but one of them may have been committed all the same: the cut can
        // reset the connection after PostgreSQL committed and before it said so, and no client can tell. So a is either
        // still running or completed, by that same run, and finishing it now is accepted or found already done.
        // A session whose write failed during the outage left memory and recovers again: it may take a few seconds more.
        foreach (var (name, runId) in runs)
        {
            var snapshot = await Eventually.ValueAsync<JsonElement>($"session {name} served again", TimeSpan.FromSeconds(30), async _ =>
            {
                var (response, body) = await server.GetAsync(RunningServer.Path(Session(name)));
                return response.StatusCode == HttpStatusCode.OK ? body : null;
            });
            var (status, current) = (snapshot.GetProperty("status").GetString(), snapshot.GetProperty("runId").GetString());
            Assert.Equal(runId, current);
            if (name == "a") Assert.Contains(status, new string?[] { "running", "completed" });
            else Assert.Equal("running", status);
        }
        var (finalized, result) = await server.PostAsync(RunningServer.Path(Session("a"), $"/runs/{runs["a"]}/finalize"), """{"outcome":"completed"}""");
        Assert.Contains((finalized.StatusCode, result.GetProperty("status").GetString()),
            new (HttpStatusCode, string?)[] { (HttpStatusCode.OK, "completed"), (HttpStatusCode.Conflict, "completed") });
    }
}
