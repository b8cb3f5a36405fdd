using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Bamboo.Actors.TestSupport;
using Xunit.Abstractions;

namespace Bamboo.Actors.Server.Tests;

/// <summary>
/// Three server processes on loopback form one cluster (cluster mode by configuration only, one shared SQLite store):
/// any node answers for any session, and when a node is killed with SIGKILL the survivors serve its sessions again,
/// runs whose executor died with it end as errors, runs whose executor survived keep running (and keep the session
/// busy), and every session accepts new runs afterwards.
/// </summary>
public sealed class ClusterProcessSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>Start to every node answering for a session: 5-9 s here (1-3 s once the processes are up).</summary>
    private static readonly TimeSpan Formation = TimeSpan.FromSeconds(60);

    /// <summary>SIGKILL to every session served again and every orphaned run ended: 10-11 s here with the settings below.</summary>
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(60);

    /// <summary>One request while nodes may be unreachable: a session whose node is lost does not answer until it moves.</summary>
    private static readonly TimeSpan Attempt = TimeSpan.FromSeconds(2);

    private const string LongSleep = """{"agent":"sleep","durationMs":600000}""";
    private const string Echo = """{"agent":"echo","input":"hello cluster"}""";

    private readonly string _data = Path.Combine(Path.GetTempPath(), "bamboo-cluster-tests", Guid.NewGuid().ToString("N"));
    private readonly List<ServerProcess> _nodes = [];

    [Fact]
    public async Task Should_serve_every_session_from_any_node_and_from_the_survivors_after_a_node_is_killed()
    {
        try
        {
            await RunScenarioAsync();
        }
        catch
        {
            foreach (var node in _nodes) output.WriteLine($"--- output of the server at {node.Url}:{Environment.NewLine}{node.OutputTail()}");
            throw;
        }
    }

    private async Task RunScenarioAsync()
    {
        // Three nodes, each listing all three as seeds (README's recipe); failure detection tighter than production's.
        var clock = Stopwatch.StartNew();
        int[] akkaPorts = [TestPorts.Next(), TestPorts.Next(), TestPorts.Next()];
        var seeds = akkaPorts.Select((port, i) => $"--Bamboo:Cluster:Seeds:{i}=akka.tcp://{BambooServer.ActorSystemName}@127.0.0.1:{port}");
        string[] Settings(int port) =>
        [
            $"--Bamboo:Persistence:DataFolder={_data}",
            "--Bamboo:Cluster:Hostname=127.0.0.1",
            $"--Bamboo:Cluster:Port={port}",
            .. seeds,
            "--Bamboo:Cluster:StableAfter=00:00:02",
            "--Bamboo:Cluster:AcceptableHeartbeatPause=00:00:03",
        ];
        // The seed first: a node that finds the seed not listening yet waits out remoting's gate before it retries.
        _nodes.Add(await ServerProcess.StartAsync(Settings(akkaPorts[0])));
        var seedHealthy = clock.Elapsed;
        var starting = akkaPorts.Skip(1).Select(port => ServerProcess.StartAsync(Settings(port))).ToArray();
        try
        {
            await Task.WhenAll(starting);
        }
        finally
        {
            foreach (var start in starting.Where(start => start.IsCompletedSuccessfully)) _nodes.Add(start.Result);
        }
        var healthy = clock.Elapsed;
        var nodes = _nodes.ToArray();

        output.WriteLine($"seed healthy after {seedHealthy.TotalSeconds:F1} s, the other two after {healthy.TotalSeconds:F1} s");

        // Formed: every node answers for a session (through its shard region, wherever the session lives).
        foreach (var node in nodes)
        {
            await Eventually.ValueAsync<JsonElement>($"a session answered through {node.Url}", Formation, async token =>
                await TryGetAsync(node, "formation", token) is { } answer
                && answer.Status is HttpStatusCode.OK or HttpStatusCode.NotFound ? answer.Body : null);
        }
        var formed = clock.Elapsed;
        output.WriteLine($"cluster answering from every node after {formed.TotalSeconds:F1} s ({(formed - healthy).TotalSeconds:F1} s after all were healthy)");

        await AnyNodeAnswersForAnySessionAsync(nodes);
        await ConcurrentStartsThroughDifferentNodesAsync(nodes);
        await KillANodeAsync(nodes);
    }

    /// <summary>A run started through one node is seen identically through all three.</summary>
    private async Task AnyNodeAnswersForAnySessionAsync(ServerProcess[] nodes)
    {
        for (var i = 0; i < nodes.Length; i++)
        {
            var sessionId = $"anywhere-{i}";
            var runId = await nodes[i].Client.StartRunAsync(sessionId, Echo);
            var completed = await nodes[(i + 1) % nodes.Length].Client.WaitForStatusAsync(sessionId, "completed", seconds: 30);
            Assert.Equal(runId, completed.GetProperty("runId").GetString());
            var snapshots = new List<string>();
            foreach (var node in nodes)
            {
                var (response, body) = await node.Client.GetAsync(RunningServerClient.Path(sessionId));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                snapshots.Add(body.GetRawText());
            }
            Assert.All(snapshots, snapshot => Assert.Equal(snapshots[0], snapshot));
        }
    }

    /// <summary>
    /// The same start posted through the three nodes at once: one run (202), the others told which run is active (409);
    /// a cancel through another node reaches the run's executor wherever it is.
    /// </summary>
    private static async Task ConcurrentStartsThroughDifferentNodesAsync(ServerProcess[] nodes)
    {
        for (var i = 0; i < 3; i++)
        {
            var sessionId = $"contended-{i}";
            var answers = await Task.WhenAll(nodes.Select(node => node.Client.PostAsync(RunningServerClient.Path(sessionId, "/runs"), LongSleep)));
            var winner = Assert.Single(answers, answer => answer.Response.StatusCode == HttpStatusCode.Accepted);
            var runId = winner.Body.GetProperty("runId").GetString();
            foreach (var (response, body) in answers.Where(answer => answer.Response.StatusCode != HttpStatusCode.Accepted))
            {
                Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
                Assert.Equal(("already_running", runId), (body.GetProperty("error").GetString(), body.GetProperty("runId").GetString()));
            }

            var (cancel, _) = await nodes[(i + 1) % 3].Client.PostAsync(RunningServerClient.Path(sessionId, "/cancel"), "{}");
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
            var cancelled = await nodes[(i + 2) % 3].Client.WaitForStatusAsync(sessionId, "cancelled", seconds: 30);
            Assert.Equal(runId, cancelled.GetProperty("runId").GetString());
        }
    }

    /// <summary>
    /// Long runs on twelve sessions, started through every node (shards are spread over the three nodes, so some of these
    /// sessions live on the victim, some runs' executors too), then SIGKILL of a node that is not the seed.
    /// </summary>
    private async Task KillANodeAsync(ServerProcess[] nodes)
    {
        var victim = nodes[2];
        ServerProcess[] survivors = [nodes[0], nodes[1]];
        // A managed run's executor lives on the node that accepted the POST; the session lives where its shard does.
        ServerProcess[] through = [nodes[0], victim, nodes[1], victim];
        var sessions = Enumerable.Range(0, 12).Select(i => new KilledSession($"kill-{i:D2}", through[i % through.Length], survivors[i % 2])).ToArray();
        var runIds = await Task.WhenAll(sessions.Select(session => session.Through.Client.StartRunAsync(session.Id, LongSleep)));
        var sequencesBefore = new long[sessions.Length];
        for (var i = 0; i < sessions.Length; i++)
        {
            var snapshot = await sessions[i].Reader.Client.WaitForStatusAsync(sessions[i].Id, "running", seconds: 30);
            Assert.Equal(runIds[i], snapshot.GetProperty("runId").GetString());
            sequencesBefore[i] = snapshot.GetProperty("lastSequence").GetInt64();
        }

        var sinceKill = Stopwatch.StartNew();
        await victim.KillAsync();

        // (a) Every session answers again, through the survivors. (b) A run whose executor died with the victim ends as
        // an error; any other run is still its session's one running run, and a new reservation is refused while it runs.
        var outcomes = await Task.WhenAll(sessions.Select(async session =>
        {
            await Eventually.ValueAsync($"session {session.Id} served again", Recovery, token => TryGetStatusAsync(session.Reader, session.Id, token));
            var served = sinceKill.Elapsed;
            var snapshot = await Eventually.ValueAsync<JsonElement>($"the run of session {session.Id} settled", Recovery, async token =>
                await TryGetStatusAsync(session.Reader, session.Id, token) is { } answer
                && (session.Through != victim || answer.GetProperty("status").GetString() != "running") ? answer : null);
            return (Served: served, Settled: sinceKill.Elapsed, Snapshot: snapshot);
        }));
        var served = outcomes.Select(outcome => outcome.Served).ToArray();
        var settled = outcomes.Select(outcome => outcome.Snapshot).ToArray();
        var ended = outcomes.Where((_, i) => sessions[i].Through == victim).Select(outcome => outcome.Settled).ToArray();

        // A session re-created from the journal continues numbering above the block of sequences its previous incarnation
        // had reserved: its last sequence jumps, where a session that stayed in place adds at most one event.
        var recovered = sessions.Where((_, i) => settled[i].GetProperty("lastSequence").GetInt64() > sequencesBefore[i] + 1)
            .Select(session => session.Id).ToHashSet();
        output.WriteLine($"SIGKILL of {victim.Url}: sessions served again after {served.Min().TotalSeconds:F1}-{served.Max().TotalSeconds:F1} s, " +
            $"runs of its executors ended after {ended.Min().TotalSeconds:F1}-{ended.Max().TotalSeconds:F1} s");
        for (var i = 0; i < sessions.Length; i++)
        {
            output.WriteLine($"  {sessions[i].Id}: started through {(sessions[i].Through == victim ? "the victim" : "a survivor")}, " +
                $"{(recovered.Contains(sessions[i].Id) ? "re-created on a survivor" : "stayed on a survivor")}, served after " +
                $"{served[i].TotalSeconds:F1} s, {settled[i].GetProperty("status").GetString()}" +
                (settled[i].GetProperty("error").GetString() is { } error ? $" ({error}) after {outcomes[i].Settled.TotalSeconds:F1} s" : ""));
        }

        for (var i = 0; i < sessions.Length; i++)
        {
            var (session, snapshot) = (sessions[i], settled[i]);
            Assert.Equal(runIds[i], snapshot.GetProperty("runId").GetString());
            if (session.Through == victim)
            {
                Assert.Equal("error", snapshot.GetProperty("status").GetString());
                Assert.Contains(snapshot.GetProperty("error").GetString(), new[] { "executor lost", "lost on restart" });
                continue;
            }
            Assert.Equal("running", snapshot.GetProperty("status").GetString());
            var other = survivors.First(node => node != session.Reader);
            var (reservation, refused) = await other.Client.PostAsync(RunningServerClient.Path(session.Id, "/reservations"), "{}");
            Assert.Equal(HttpStatusCode.Conflict, reservation.StatusCode);
            Assert.Equal(("already_running", runIds[i]), (refused.GetProperty("error").GetString(), refused.GetProperty("runId").GetString()));
            var (start, alsoRefused) = await session.Reader.Client.PostAsync(RunningServerClient.Path(session.Id, "/runs"), LongSleep);
            Assert.Equal(HttpStatusCode.Conflict, start.StatusCode);
            Assert.Equal(runIds[i], alsoRefused.GetProperty("runId").GetString());
        }
        // Shards are spread over all three nodes: the victim held some of these sessions.
        Assert.NotEmpty(recovered);

        // (c) Every session takes new runs: the surviving runs are cancelled (through the other survivor, which reaches
        // their executors), then each session runs again.
        await Task.WhenAll(sessions.Select(async (session, i) =>
        {
            var other = survivors.First(node => node != session.Reader);
            if (session.Through != victim)
            {
                var (cancel, _) = await other.Client.PostAsync(RunningServerClient.Path(session.Id, "/cancel"), "{}");
                Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
                var cancelled = await session.Reader.Client.WaitForStatusAsync(session.Id, "cancelled", seconds: 30);
                Assert.Equal(runIds[i], cancelled.GetProperty("runId").GetString());
            }
            var next = await other.Client.StartRunAsync(session.Id, Echo);
            Assert.NotEqual(runIds[i], next);
            var completed = await session.Reader.Client.WaitForStatusAsync(session.Id, "completed", seconds: 30);
            Assert.Equal(next, completed.GetProperty("runId").GetString());
        }));
    }

    /// <summary>A session of the kill scenario: the node its run was started through, and the survivor that reads it.</summary>
    private sealed record KilledSession(string Id, ServerProcess Through, ServerProcess Reader);

    /// <summary>The session's snapshot, or null when the node does not answer 200 within <see cref="Attempt"/>.</summary>
    private static async Task<JsonElement?> TryGetStatusAsync(ServerProcess node, string sessionId, CancellationToken token) =>
        await TryGetAsync(node, sessionId, token) is { Status: HttpStatusCode.OK } answer ? answer.Body : null;

    /// <summary>The answer to <c>GET /sessions/{id}</c>, or null when the node does not answer within <see cref="Attempt"/>.</summary>
    private static async Task<(HttpStatusCode Status, JsonElement Body)?> TryGetAsync(ServerProcess node, string sessionId, CancellationToken token)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(token);
        attempt.CancelAfter(Attempt);
        try
        {
            using var response = await node.Client.Http.GetAsync(RunningServerClient.Path(sessionId), attempt.Token);
            return (response.StatusCode, await RunningServerClient.BodyAsync(response));
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException && !token.IsCancellationRequested)
        {
            return null;
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Kills every node (SIGKILL: nothing to wait for) and deletes the shared data folder.</summary>
    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
