using System.Net;

namespace Bamboo.Actors.Server.Tests;

/// <summary>
/// SIGKILL the server during active runs, start it again on the same data folder: completed runs are intact, runs whose
/// executor died with the process are marked lost, and an external worker's run keeps its deadline.
/// </summary>
public sealed class CrashRestartSpecs : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "bamboo-crash-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Should_keep_completed_runs_and_mark_active_ones_lost_after_a_kill()
    {
        string[] settings = [$"--Bamboo:Persistence:DataFolder={_data}"];
        string done, active, worker, shortWorker;
        string? completedAt;
        await using (var first = await ServerProcess.StartAsync(settings))
        {
            var http = first.Client;
            done = await http.StartRunAsync("done", """{"agent":"echo","input":"kept"}""");
            completedAt = (await http.WaitForStatusAsync("done", "completed")).GetProperty("completedAt").GetString();
            active = await http.StartRunAsync("active", """{"agent":"sleep","durationMs":600000}""");
            worker = (await http.PostAsync(RunningServerClient.Path("worker", "/reservations"), """{"deadlineMs":600000}""")).Body.GetProperty("runId").GetString()!;
            shortWorker = (await http.PostAsync(RunningServerClient.Path("short", "/reservations"), """{"deadlineMs":1500}""")).Body.GetProperty("runId").GetString()!;
            await http.WaitForStatusAsync("active", "running");

            await first.KillAsync();
        }

        await using var second = await ServerProcess.StartAsync(settings);
        var client = second.Client;

        // A session read right after the restart may be answered 503 while it recovers on a busy machine: read until it
        // answers, and it must answer with the run it had.
        var kept = await client.WaitForStatusAsync("done", "completed", seconds: 30);
        Assert.Equal((done, completedAt), (kept.GetProperty("runId").GetString(), kept.GetProperty("completedAt").GetString()));

        var lost = await client.WaitForStatusAsync("active", "error");
        Assert.Equal((active, "lost on restart"), (lost.GetProperty("runId").GetString(), lost.GetProperty("error").GetString()));

        // The worker's run had no executor in the process: it runs on until the worker finalizes or its deadline passes.
        var running = (await client.GetAsync(RunningServerClient.Path("worker"))).Body;
        Assert.Equal(("running", worker), (running.GetProperty("status").GetString(), running.GetProperty("runId").GetString()));
        var (finalized, _) = await client.PostAsync(RunningServerClient.Path("worker", $"/runs/{worker}/finalize"), """{"outcome":"completed"}""");
        Assert.Equal(HttpStatusCode.OK, finalized.StatusCode);

        var expired = await client.WaitForStatusAsync("short", "error", seconds: 20);
        Assert.Equal(shortWorker, expired.GetProperty("runId").GetString());
        Assert.Contains(expired.GetProperty("error").GetString(), new[] { "lost on restart", "deadline exceeded" });

        // The sessions accept new runs.
        Assert.NotEqual(active, await client.StartRunAsync("active", """{"agent":"echo"}"""));
    }

    public void Dispose()
    {
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
