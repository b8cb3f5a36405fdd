using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Bamboo.Actors.Server.Tests;

/// <summary>
/// What outlives the server process on its durable store (SQLite, the default): idempotent starts, the read model, and
/// the events a reconnecting subscriber is replayed, with and without a cursor, after a restart and after passivation.
/// </summary>
public sealed class HistoryRestartSpecs : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "bamboo-history-tests", Guid.NewGuid().ToString("N"));

    private Task<RunningServer> StartAsync(params string[] settings) =>
        RunningServer.StartAsync([$"--Bamboo:Persistence:DataFolder={_data}", .. settings]);

    [Fact]
    public async Task Should_answer_an_idempotent_retry_after_a_restart_with_the_original_answer()
    {
        var key = Guid.NewGuid().ToString();
        string reservation, managed;
        await using (var first = await StartAsync())
        {
            var reserved = await PostWithKeyAsync(first, RunningServer.Path("worker", "/reservations"), """{"metadata":{"job":1}}""", key);
            Assert.Equal(HttpStatusCode.Created, reserved.Response.StatusCode);
            reservation = reserved.Body.GetProperty("runId").GetString()!;
            var started = await PostWithKeyAsync(first, RunningServer.Path("managed", "/runs"), """{"agent":"echo","input":"hi"}""", key);
            Assert.Equal(HttpStatusCode.Accepted, started.Response.StatusCode);
            managed = started.Body.GetProperty("runId").GetString()!;
            await first.Client.WaitForStatusAsync("managed", "completed");
        }

        await using var second = await StartAsync();

        var retried = await PostWithKeyAsync(second, RunningServer.Path("worker", "/reservations"), """{"metadata":{"job":1}}""", key);
        Assert.Equal((HttpStatusCode.Created, reservation), (retried.Response.StatusCode, retried.Body.GetProperty("runId").GetString()));
        var rerun = await PostWithKeyAsync(second, RunningServer.Path("managed", "/runs"), """{"agent":"echo","input":"hi"}""", key);
        Assert.Equal((HttpStatusCode.Accepted, managed), (rerun.Response.StatusCode, rerun.Body.GetProperty("runId").GetString()));
        var other = await PostWithKeyAsync(second, RunningServer.Path("worker", "/reservations"), """{"metadata":{"job":2}}""", key);
        Assert.Equal(((HttpStatusCode)422, "idempotency_key_reused"), (other.Response.StatusCode, other.Body.GetProperty("error").GetString()));
        // The managed run ran once: its session has one run, and the worker's run is still the one reserved before.
        var (_, runs) = await second.GetAsync(RunningServer.Path("managed", "/runs"));
        Assert.Equal([managed], runs.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("runId").GetString()));
        Assert.Equal(reservation, (await second.GetAsync(RunningServer.Path("worker"))).Body.GetProperty("runId").GetString());
    }

    [Fact]
    public async Task Should_keep_the_read_model_and_replay_the_last_run_after_a_restart_with_and_without_a_cursor()
    {
        string first, last;
        List<SseFrame> liveAll, liveLast;
        await using (var before = await StartAsync())
        {
            first = await before.StartRunAsync("story", """{"agent":"echo","input":"first"}""");
            await before.Client.WaitForStatusAsync("story", "completed");
            last = await before.StartRunAsync("story", """{"agent":"echo","input":"second"}""");
            await WaitForRunEndAsync(before, "story", last);
            liveAll = await ReplayAsync(before, "story", "?after=0", last);
            liveLast = await ReplayAsync(before, "story", "", last);
        }

        await using var after = await StartAsync();

        var all = await ReplayAsync(after, "story", "?after=0", last);
        var lastRun = await ReplayAsync(after, "story", "", last);
        Assert.Equal(Describe(liveAll), Describe(all));
        Assert.Equal(Describe(liveLast), Describe(lastRun));
        Assert.Equal("execution_finished", lastRun[^1].Event);
        Assert.Contains(lastRun, f => f.Event == "execution_started" && f.Json.GetProperty("runId").GetString() == last);
        Assert.Contains(all, f => f.Data!.Contains(first, StringComparison.Ordinal));
        Assert.DoesNotContain(all, f => f.Event == "replay_gap");
        var resumed = await ReplayAsync(after, "story", $"?after={all[2].Sequence}", last);
        Assert.Equal(Describe(all.Skip(3).ToList()), Describe(resumed));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        JsonElement runs;
        while ((runs = (await after.GetAsync(RunningServer.Path("story", "/runs"))).Body).GetProperty("items").GetArrayLength() < 2)
            await Task.Delay(25, timeout.Token);
        Assert.Equal([last, first], runs.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("runId").GetString()));
    }

    [Fact]
    public async Task Should_end_a_run_orphaned_by_a_killed_process_after_the_restart_without_anyone_touching_its_session()
    {
        string[] settings = [$"--Bamboo:Persistence:DataFolder={_data}"];
        string runId;
        await using (var first = await ServerProcess.StartAsync(settings))
        {
            var (reserved, body) = await first.Client.PostAsync(RunningServerClient.Path("orphan", "/reservations"), """{"deadlineMs":1000}""");
            Assert.Equal(HttpStatusCode.Created, reserved.StatusCode);
            runId = body.GetProperty("runId").GetString()!;
            await first.KillAsync();
        }
        // The deadline passes while no process holds the session.
        await Task.Delay(TimeSpan.FromMilliseconds(1200));

        await using var second = await ServerProcess.StartAsync(settings);

        // Only the read model is read: nothing sends the session a command.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        JsonElement record;
        while (true)
        {
            var (_, page) = await second.Client.GetAsync(RunningServerClient.Path("orphan", "/runs"));
            record = page.GetProperty("items").EnumerateArray().FirstOrDefault();
            if (record.ValueKind == JsonValueKind.Object && record.GetProperty("status").GetString() != "running") break;
            if (timeout.IsCancellationRequested) Assert.Fail($"the run is still {record}; the server said: {second.OutputTail()}");
            await Task.Delay(50, CancellationToken.None);
        }
        Assert.Equal((runId, "error", "lost on restart"),
            (record.GetProperty("runId").GetString(), record.GetProperty("status").GetString(), record.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task Should_replay_the_same_events_after_the_session_passivated()
    {
        await using var server = await StartAsync("--Bamboo:IdleTimeout=00:00:00.200");
        var run = await server.StartRunAsync("idle", """{"agent":"echo","input":"hello there"}""");
        await WaitForRunEndAsync(server, "idle", run);
        var liveAll = await ReplayAsync(server, "idle", "?after=0", run);
        var liveLast = await ReplayAsync(server, "idle", "", run);

        await AwaitPassivatedAsync(server, "idle");

        Assert.Equal(Describe(liveAll), Describe(await ReplayAsync(server, "idle", "?after=0", run)));
        Assert.Equal(Describe(liveLast), Describe(await ReplayAsync(server, "idle", "", run)));
        Assert.Equal("execution_finished", liveLast[^1].Event);
    }

    /// <summary>Waits until <paramref name="sessionId"/>'s actor has stopped (its idle timeout passed with nothing to do).</summary>
    private static async Task AwaitPassivatedAsync(RunningServer server, string sessionId)
    {
        var system = server.App.Services.GetRequiredService<Akka.Actor.ActorSystem>();
        var supervisor = server.App.Services.GetRequiredService<Akka.Hosting.IRequiredActor<Bamboo.Actors.Runners.RunnerSupervisor>>().ActorRef;
        var entity = Bamboo.Actors.Routing.SessionIds.ToEntityId(sessionId);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var identity = await system.ActorSelection(supervisor.Path / entity).Ask<Akka.Actor.ActorIdentity>(new Akka.Actor.Identify(null), TimeSpan.FromSeconds(3));
            if (identity.Subject is null) return;
            await Task.Delay(50, timeout.Token);
        }
    }

    private static async Task WaitForRunEndAsync(RunningServer server, string session, string runId)
    {
        var (response, _) = await server.GetAsync(RunningServer.Path(session, $"/runs/{runId}/wait?timeoutMs=10000"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>The events a new subscriber of <paramref name="session"/> is replayed, up to the end of run
    /// <paramref name="lastRun"/> (the session's last).</summary>
    private static async Task<List<SseFrame>> ReplayAsync(RunningServer server, string session, string query, string lastRun)
    {
        await using var sse = await SseClient.ConnectAsync(server.Http, RunningServer.Path(session, "/events") + query);
        var frames = new List<SseFrame>();
        while (true)
        {
            var frame = await sse.NextEventAsync();
            frames.Add(frame);
            if (frame.Event == "execution_finished" && frame.Json.GetProperty("runId").GetString() == lastRun) return frames;
        }
    }

    private static List<string> Describe(List<SseFrame> frames) => frames.Select(f => $"{f.Id} {f.Event} {f.Data}").ToList();

    private static async Task<(HttpResponseMessage Response, JsonElement Body)> PostWithKeyAsync(RunningServer server, string path, string json, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", key);
        var response = await server.Http.SendAsync(request);
        return (response, await RunningServer.BodyAsync(response));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
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
