using System.Net;

namespace Bamboo.Actors.Server.Tests;

public sealed class RunsApiSpecs(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private RunningServer Server => fixture.Server;

    [Fact]
    public async Task Should_run_the_echo_agent_and_stream_its_events()
    {
        await using var sse = await SseClient.ConnectAsync(Server.Http, RunningServer.Path("echo-1", "/events"));
        Assert.Equal("text/event-stream", sse.Response.Content.Headers.ContentType?.MediaType);

        var (response, body) = await Server.PostAsync(RunningServer.Path("echo-1", "/runs"), """{"agent":"echo","input":"hello bamboo"}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("running", body.GetProperty("status").GetString());
        Assert.Equal("echo-1", body.GetProperty("sessionId").GetString());
        var runId = body.GetProperty("runId").GetString();
        var frames = await sse.EventsUntilAsync("execution_finished");
        Assert.Equal("execution_started", frames[0].Event);
        Assert.Equal("hello bamboo", string.Concat(frames.Where(f => f.Event == "token_delta").Select(f => f.Json.GetProperty("text").GetString())));
        Assert.Contains(frames, f => f.Event == "tool_started" && f.Json.GetProperty("toolName").GetString() == "echo");
        Assert.Contains(frames, f => f.Event == "runner_progress" && f.Json.GetProperty("roundCount").GetInt32() == 1);
        Assert.Equal("completed", frames[^1].Json.GetProperty("status").GetString());
        Assert.All(frames, f => Assert.Equal(runId, f.Json.GetProperty("runId").GetString()));
        Assert.Equal(Enumerable.Range(1, frames.Count).Select(i => (long)i), frames.Select(f => f.Sequence));

        var snapshot = await Server.WaitForStatusAsync("echo-1", "completed");
        Assert.Equal(1, snapshot.GetProperty("roundCount").GetInt32());
        Assert.Equal("echo", snapshot.GetProperty("lastToolName").GetString());
        Assert.Equal("finished", snapshot.GetProperty("lastToolPhase").GetString());
    }

    [Fact]
    public async Task Should_end_the_fail_agent_as_error()
    {
        await Server.StartRunAsync("fail-1", """{"agent":"fail","input":"on purpose"}""");

        var snapshot = await Server.WaitForStatusAsync("fail-1", "error");

        Assert.Contains("on purpose", snapshot.GetProperty("error").GetString());
        Assert.Equal("error", snapshot.GetProperty("lastToolPhase").GetString());
    }

    [Fact]
    public async Task Should_cancel_a_sleeping_run()
    {
        var runId = await Server.StartRunAsync("sleep-1", """{"agent":"sleep","durationMs":60000}""");

        var (response, body) = await Server.PostAsync(RunningServer.Path("sleep-1", "/cancel"), """{"reason":"user stop"}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal((runId, "cancelling"), (body.GetProperty("runId").GetString(), body.GetProperty("status").GetString()));
        var snapshot = await Server.WaitForStatusAsync("sleep-1", "cancelled");
        Assert.True(snapshot.GetProperty("cancelRequested").GetBoolean());
    }

    [Fact]
    public async Task Should_answer_409_already_running_with_the_existing_run_id_under_reject()
    {
        var runId = await Server.StartRunAsync("reject-1", """{"agent":"sleep","durationMs":60000}""");

        var (response, body) = await Server.PostAsync(RunningServer.Path("reject-1", "/runs"), """{"agent":"echo"}""");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal(("already_running", runId), (body.GetProperty("error").GetString(), body.GetProperty("runId").GetString()));
        await Server.PostAsync(RunningServer.Path("reject-1", "/cancel"), "{}");
    }

    [Fact]
    public async Task Should_grant_exactly_one_of_many_concurrent_posts_under_reject()
    {
        var posts = Enumerable.Range(0, 20)
            .Select(_ => Server.PostJsonAsync(RunningServer.Path("contended", "/runs"), """{"agent":"sleep","durationMs":60000}"""));

        var responses = await Task.WhenAll(posts);

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Accepted);
        Assert.Equal(19, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        await Server.PostAsync(RunningServer.Path("contended", "/cancel"), "{}");
    }

    [Fact]
    public async Task Should_cancel_the_active_run_and_start_the_new_one_under_interrupt()
    {
        var first = await Server.StartRunAsync("interrupt-1", """{"agent":"sleep","durationMs":60000}""");

        var second = await Server.StartRunAsync("interrupt-1", """{"agent":"sleep","durationMs":60000,"onConflict":"interrupt"}""");

        Assert.NotEqual(first, second);
        var snapshot = await Server.WaitForStatusAsync("interrupt-1", "running");
        Assert.Equal(second, snapshot.GetProperty("runId").GetString());
        await using var sse = await SseClient.ConnectAsync(Server.Http, RunningServer.Path("interrupt-1", "/events") + "?after=0");
        var frames = new List<SseFrame>();
        while (frames.Count == 0 || frames[^1] is not { Event: "execution_started" } last || last.Json.GetProperty("runId").GetString() != second)
            frames.Add(await sse.NextEventAsync());
        var finished = frames.Single(f => f.Event == "execution_finished");
        Assert.Equal((first, "cancelled"), (finished.Json.GetProperty("runId").GetString(), finished.Json.GetProperty("status").GetString()));
        await Server.PostAsync(RunningServer.Path("interrupt-1", "/cancel"), "{}");
    }

    [Fact]
    public async Task Should_queue_a_run_under_enqueue_and_start_it_when_the_active_one_ends()
    {
        var first = await Server.StartRunAsync("enqueue-1", """{"agent":"sleep","durationMs":60000}""");

        var (response, body) = await Server.PostAsync(RunningServer.Path("enqueue-1", "/runs"), """{"agent":"echo","input":"next","onConflict":"enqueue"}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("queued", body.GetProperty("status").GetString());
        var queued = body.GetProperty("runId").GetString();
        Assert.Equal(1, (await Server.GetAsync(RunningServer.Path("enqueue-1"))).Body.GetProperty("queueLength").GetInt32());
        await Server.PostAsync(RunningServer.Path("enqueue-1", "/cancel"), $$"""{"runId":"{{first}}"}""");
        var snapshot = await Server.WaitForStatusAsync("enqueue-1", "completed");
        Assert.Equal(queued, snapshot.GetProperty("runId").GetString());
    }

    [Fact]
    public async Task Should_cancel_a_queued_run_by_run_id()
    {
        await Server.StartRunAsync("enqueue-2", """{"agent":"sleep","durationMs":60000}""");
        var queued = await Server.StartRunAsync("enqueue-2", """{"agent":"echo","onConflict":"enqueue"}""");

        var (response, body) = await Server.PostAsync(RunningServer.Path("enqueue-2", "/cancel"), $$"""{"runId":"{{queued}}"}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(queued, body.GetProperty("runId").GetString());
        var snapshot = (await Server.GetAsync(RunningServer.Path("enqueue-2"))).Body;
        Assert.Equal(0, snapshot.GetProperty("queueLength").GetInt32());
        Assert.Equal("running", snapshot.GetProperty("status").GetString());
        await Server.PostAsync(RunningServer.Path("enqueue-2", "/cancel"), "{}");
    }

    [Fact]
    public async Task Should_answer_409_not_running_when_there_is_nothing_to_cancel()
    {
        await Server.StartRunAsync("idle-1", """{"agent":"echo"}""");
        await Server.WaitForStatusAsync("idle-1", "completed");

        var (response, body) = await Server.PostAsync(RunningServer.Path("idle-1", "/cancel"), "");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("not_running", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Should_answer_404_unknown_session_for_a_session_never_used()
    {
        var (response, body) = await Server.GetAsync(RunningServer.Path("never-used"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("unknown_session", body.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("with space")]
    [InlineData("emoji-🐼")]
    [InlineData("$dollar")]
    [InlineData("%2F")]
    [InlineData("名前")]
    public async Task Should_serve_odd_session_ids_as_one_encoded_path_segment(string sessionId)
    {
        var runId = await Server.StartRunAsync(sessionId, """{"agent":"echo","input":"x"}""");

        var snapshot = await Server.WaitForStatusAsync(sessionId, "completed");

        Assert.Equal((sessionId, runId), (snapshot.GetProperty("sessionId").GetString(), snapshot.GetProperty("runId").GetString()));
    }

    [Fact]
    public async Task Should_keep_case_variants_distinct()
    {
        var upper = await Server.StartRunAsync("CaseSession", """{"agent":"echo"}""");
        var lower = await Server.StartRunAsync("casesession", """{"agent":"echo"}""");

        Assert.NotEqual(upper, lower);
        Assert.Equal(upper, (await Server.WaitForStatusAsync("CaseSession", "completed")).GetProperty("runId").GetString());
        Assert.Equal(lower, (await Server.WaitForStatusAsync("casesession", "completed")).GetProperty("runId").GetString());
    }

    [Fact]
    public async Task Should_serve_health_and_prometheus_metrics()
    {
        await Server.StartRunAsync("metrics-1", """{"agent":"echo"}""");
        await Server.WaitForStatusAsync("metrics-1", "completed");

        var health = await Server.Http.GetAsync("/healthz");
        var metrics = await Server.Http.GetStringAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Contains("bamboo_runs_started", metrics);
        Assert.Contains("bamboo_runs_finished", metrics);
        Assert.Contains("http_server_request_duration", metrics);
        Assert.Contains("dotnet_gc_last_collection_heap_size", metrics);
        Assert.Contains("dotnet_process_memory_working_set", metrics);
    }
}
