using System.Net;

namespace Bamboo.Actors.Server.Tests;

public sealed class SseSpecs(TightServerFixture fixture) : IClassFixture<TightServerFixture>
{
    private RunningServer Server => fixture.Server;

    [Fact]
    public async Task Should_resume_after_Last_Event_ID_without_gap_or_duplicate()
    {
        var runId = await ReserveAsync("sse-1");
        for (var i = 0; i < 3; i++) await PublishAsync("sse-1", runId, $"t{i}");                     // 2..4
        await using (var first = await SseClient.ConnectAsync(Server.Http, RunningServer.Path("sse-1", "/events") + "?after=0"))
        {
            Assert.Equal([1L, 2, 3], new[] { await first.NextEventAsync(), await first.NextEventAsync(), await first.NextEventAsync() }.Select(f => f.Sequence));
        }

        await using var resumed = await SseClient.ConnectAsync(Server.Http, RunningServer.Path("sse-1", "/events"), lastEventId: "3");
        await PublishAsync("sse-1", runId, "live");                                                     // 5

        Assert.Equal(4, (await resumed.NextEventAsync()).Sequence);
        var live = await resumed.NextEventAsync();
        Assert.Equal((5L, "live"), (live.Sequence, live.Json.GetProperty("text").GetString()));
    }

    [Fact]
    public async Task Should_prefer_the_Last_Event_ID_header_over_the_after_query()
    {
        var runId = await ReserveAsync("sse-2");
        for (var i = 0; i < 3; i++) await PublishAsync("sse-2", runId, $"t{i}");                     // 2..4

        await using var sse = await SseClient.ConnectAsync(Server.Http, RunningServer.Path("sse-2", "/events") + "?after=1", lastEventId: "3");

        Assert.Equal(4, (await sse.NextEventAsync()).Sequence);
    }

    [Fact]
    public async Task Should_send_a_replay_gap_without_an_id_when_events_were_evicted()
    {
        var runId = await ReserveAsync("sse-3");
        for (var i = 0; i < 9; i++) await PublishAsync("sse-3", runId, $"t{i}");                     // 2..10; retention keeps 6..10

        await using var sse = await SseClient.ConnectAsync(Server.Http, RunningServer.Path("sse-3", "/events") + "?after=2");

        var gap = await sse.NextEventAsync();
        Assert.Equal(("replay_gap", null), (gap.Event, gap.Id));
        Assert.Equal((3L, 5L), (gap.Json.GetProperty("fromSequence").GetInt64(), gap.Json.GetProperty("toSequence").GetInt64()));
        Assert.Equal(6, (await sse.NextEventAsync()).Sequence);
    }

    [Fact]
    public async Task Should_replay_critical_events_to_a_subscriber_without_cursor()
    {
        var runId = await ReserveAsync("sse-4");
        await PublishAsync("sse-4", runId, "not replayed");
        await Server.PostAsync(RunningServer.Path("sse-4", $"/runs/{runId}/events"), """{"type":"tool_started","toolName":"search"}""");
        await Server.PostAsync(RunningServer.Path("sse-4", $"/runs/{runId}/events"), """{"type":"token_budget","used":5,"limit":10}""");

        await using var sse = await SseClient.ConnectAsync(Server.Http, RunningServer.Path("sse-4", "/events"));

        Assert.Equal(["execution_started", "tool_started", "token_budget"],
            new[] { await sse.NextEventAsync(), await sse.NextEventAsync(), await sse.NextEventAsync() }.Select(f => f.Event));
    }

    [Fact]
    public async Task Should_send_keep_alive_comments_while_idle()
    {
        // Comments never reach an SSE parser: read the raw response.
        using var response = await Server.Http.GetAsync(RunningServer.Path("sse-5", "/events"), HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var line = await reader.ReadLineAsync(timeout.Token);

        Assert.Equal(": keep-alive", line);
    }

    [Fact]
    public async Task Should_release_the_subscription_when_the_client_disconnects()
    {
        await using (var sse = await SseClient.ConnectAsync(Server.Http, RunningServer.Path("sse-6", "/events")))
        {
            Assert.Equal(1, (await Server.GetAsync(RunningServer.Path("sse-6"))).Body.GetProperty("subscriberCount").GetInt32());
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while ((await Server.GetAsync(RunningServer.Path("sse-6"))).Response.StatusCode != HttpStatusCode.NotFound)
            await Task.Delay(25, timeout.Token);
    }

    [Fact]
    public async Task Should_be_live_before_the_headers_so_nothing_published_after_them_is_missed()
    {
        await using var sse = await SseClient.ConnectAsync(Server.Http, RunningServer.Path("sse-7", "/events"));

        var runId = await ReserveAsync("sse-7");

        var started = await sse.NextEventAsync();
        Assert.Equal(("execution_started", runId), (started.Event, started.Json.GetProperty("runId").GetString()));
    }

    private async Task<string> ReserveAsync(string sessionId)
    {
        var (_, body) = await Server.PostAsync(RunningServer.Path(sessionId, "/reservations"), """{"deadlineMs":60000}""");
        return body.GetProperty("runId").GetString()!;
    }

    private async Task PublishAsync(string sessionId, string runId, string text)
    {
        var (response, _) = await Server.PostAsync(RunningServer.Path(sessionId, $"/runs/{runId}/events"), $$"""{"type":"token_delta","text":"{{text}}"}""");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }
}
