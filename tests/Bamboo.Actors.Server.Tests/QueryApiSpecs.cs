using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Bamboo.Actors.Server.Tests;

/// <summary>
/// The query API over the read model: lists with cursors and status filters, a run's record, waiting for a run's end,
/// heartbeats and deleting a session — each answer in the SPEC's JSON shape.
/// </summary>
public sealed class QueryApiSpecs(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly string _prefix = "q-" + Guid.NewGuid().ToString("N")[..8] + "-";
    private RunningServer Server => fixture.Server;

    private string S(string name) => _prefix + name;

    [Fact]
    public async Task Should_list_a_sessions_runs_newest_first_with_their_records()
    {
        var session = S("runs");
        var first = await Server.StartRunAsync(session, """{"agent":"echo","input":"one"}""");
        await WaitForRunAsync(session, first);
        var second = await Server.StartRunAsync(session, """{"agent":"echo","input":"two"}""");
        await WaitForRunAsync(session, second);

        var page = await PollAsync($"{RunningServer.Path(session, "/runs")}", body => body.GetProperty("items").GetArrayLength() == 2
            && body.GetProperty("items")[0].GetProperty("status").GetString() == "completed");

        var items = page.GetProperty("items");
        Assert.Equal([second, first], items.EnumerateArray().Select(r => r.GetProperty("runId").GetString()));
        var newest = items[0];
        Assert.Equal((session, "completed", "echo", false, "two", "reject"),
            (newest.GetProperty("sessionId").GetString(), newest.GetProperty("status").GetString(), newest.GetProperty("agent").GetString(),
                newest.GetProperty("worker").GetBoolean(), newest.GetProperty("input").GetString(), newest.GetProperty("onConflict").GetString()));
        Assert.Equal(JsonValueKind.String, newest.GetProperty("createdAt").ValueKind);
        Assert.Equal(JsonValueKind.String, newest.GetProperty("endedAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, page.GetProperty("nextCursor").ValueKind);

        // One per page: the cursor leads to the older run, and the last page has none.
        var (_, one) = await Server.GetAsync(RunningServer.Path(session, "/runs?limit=1"));
        Assert.Equal(second, one.GetProperty("items")[0].GetProperty("runId").GetString());
        var cursor = one.GetProperty("nextCursor").GetString()!;
        var (_, two) = await Server.GetAsync(RunningServer.Path(session, "/runs?limit=1&cursor=" + Uri.EscapeDataString(cursor)));
        Assert.Equal(first, two.GetProperty("items")[0].GetProperty("runId").GetString());
        var (_, three) = await Server.GetAsync(RunningServer.Path(session, "/runs?limit=1&cursor=" + Uri.EscapeDataString(two.GetProperty("nextCursor").GetString()!)));
        Assert.Empty(three.GetProperty("items").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, three.GetProperty("nextCursor").ValueKind);
        var (_, failed) = await Server.GetAsync(RunningServer.Path(session, "/runs?status=error"));
        Assert.Empty(failed.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Should_list_sessions_newest_activity_first_filtered_by_status()
    {
        var done = S("done");
        var busy = S("busy");
        var doneRun = await Server.StartRunAsync(done, """{"agent":"echo"}""");
        await WaitForRunAsync(done, doneRun);
        var busyRun = (await Server.PostAsync(RunningServer.Path(busy, "/reservations"), "{}")).Body.GetProperty("runId").GetString();

        var running = await PollAsync("/sessions?status=running&limit=500", body => Ids(body).Contains(busy));
        var completed = await PollAsync("/sessions?status=completed&limit=500", body => Ids(body).Contains(done));

        Assert.DoesNotContain(done, Ids(running));
        Assert.DoesNotContain(busy, Ids(completed));
        var summary = running.GetProperty("items").EnumerateArray().Single(s => s.GetProperty("sessionId").GetString() == busy);
        Assert.Equal(("running", busyRun, 1), (summary.GetProperty("status").GetString(), summary.GetProperty("runId").GetString(),
            summary.GetProperty("runCount").GetInt32()));
        Assert.Equal(JsonValueKind.String, summary.GetProperty("lastEventAt").ValueKind);

        // Newest activity first, paged by cursor: the busy session was touched last.
        var all = await PollAsync("/sessions?limit=500", body => Ids(body).Contains(busy) && Ids(body).Contains(done));
        var order = Ids(all);
        Assert.True(order.IndexOf(busy) < order.IndexOf(done));
        var times = all.GetProperty("items").EnumerateArray().Select(s => s.GetProperty("lastEventAt").GetDateTimeOffset()).ToList();
        Assert.Equal(times.OrderDescending(), times);
        var (_, page) = await Server.GetAsync("/sessions?limit=1");
        var (_, next) = await Server.GetAsync("/sessions?limit=1&cursor=" + Uri.EscapeDataString(page.GetProperty("nextCursor").GetString()!));
        Assert.NotEqual(Ids(page).Single(), Ids(next).Single());
        await FinalizeAsync(busy, busyRun!, """{"outcome":"completed"}""");
    }

    [Fact]
    public async Task Should_answer_a_runs_record_at_once_for_the_current_run_and_404_for_an_unknown_one()
    {
        var session = S("record");
        var (_, reserved) = await Server.PostAsync(RunningServer.Path(session, "/reservations"), """{"metadata":{"ticket":7},"heartbeatTimeoutMs":60000}""");
        var runId = reserved.GetProperty("runId").GetString()!;

        // Strongly consistent: no waiting for the read model.
        var (response, record) = await Server.GetAsync(RunningServer.Path(session, $"/runs/{runId}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("running", true, 7), (record.GetProperty("status").GetString(), record.GetProperty("worker").GetBoolean(),
            record.GetProperty("input").GetProperty("ticket").GetInt32()));
        var (unknown, error) = await Server.GetAsync(RunningServer.Path(session, $"/runs/{Guid.NewGuid()}"));
        Assert.Equal((HttpStatusCode.NotFound, "unknown_run"), (unknown.StatusCode, error.GetProperty("error").GetString()));

        await FinalizeAsync(session, runId, """{"outcome":"completed","output":{"answer":[1,2,3]}}""");
        var (_, ended) = await Server.GetAsync(RunningServer.Path(session, $"/runs/{runId}"));
        Assert.Equal("completed", ended.GetProperty("status").GetString());
        Assert.Equal("[1,2,3]", ended.GetProperty("output").GetProperty("answer").GetRawText());
        // An older run comes from the read model.
        await Server.PostAsync(RunningServer.Path(session, "/reservations"), "{}");
        var older = await PollAsync(RunningServer.Path(session, $"/runs/{runId}"), body => body.ValueKind == JsonValueKind.Object
            && body.TryGetProperty("output", out var output) && output.ValueKind == JsonValueKind.Object);
        Assert.Equal((runId, "completed"), (older.GetProperty("runId").GetString(), older.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task Should_answer_a_wait_when_the_run_ends_and_202_with_the_record_at_the_timeout()
    {
        var session = S("wait");
        var runId = (await Server.PostAsync(RunningServer.Path(session, "/reservations"), "{}")).Body.GetProperty("runId").GetString()!;

        var (timedOut, atTimeout) = await Server.GetAsync(RunningServer.Path(session, $"/runs/{runId}/wait?timeoutMs=50"));
        Assert.Equal((HttpStatusCode.Accepted, "running"), (timedOut.StatusCode, atTimeout.GetProperty("status").GetString()));

        var waiting = Server.GetAsync(RunningServer.Path(session, $"/runs/{runId}/wait?timeoutMs=30000"));
        var started = System.Diagnostics.Stopwatch.StartNew();
        await FinalizeAsync(session, runId, """{"outcome":"error","error":"gave up","output":"partial"}""");
        var (response, record) = await waiting;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("error", "gave up", "partial"), (record.GetProperty("status").GetString(), record.GetProperty("error").GetString(),
            record.GetProperty("output").GetString()));
        // The end is pushed to the wait: it does not sit out its 30 s.
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"the wait answered after {started.Elapsed}");
        var (again, _) = await Server.GetAsync(RunningServer.Path(session, $"/runs/{runId}/wait"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task Should_answer_heartbeats_of_the_current_run_and_409_stale_run_after_it_ended()
    {
        var session = S("heartbeat");
        var runId = (await Server.PostAsync(RunningServer.Path(session, "/reservations"), "{}")).Body.GetProperty("runId").GetString()!;

        var (alive, body) = await Server.PostAsync(RunningServer.Path(session, $"/runs/{runId}/heartbeat"), "");
        Assert.Equal((HttpStatusCode.Accepted, false), (alive.StatusCode, body.GetProperty("cancelRequested").GetBoolean()));
        await Server.PostAsync(RunningServer.Path(session, "/cancel"), "{}");
        var (_, cancelling) = await Server.PostAsync(RunningServer.Path(session, $"/runs/{runId}/heartbeat"), "");
        Assert.True(cancelling.GetProperty("cancelRequested").GetBoolean());

        await FinalizeAsync(session, runId, """{"outcome":"cancelled"}""");
        var (stale, error) = await Server.PostAsync(RunningServer.Path(session, $"/runs/{runId}/heartbeat"), "");

        Assert.Equal((HttpStatusCode.Conflict, "stale_run"), (stale.StatusCode, error.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task Should_delete_an_idle_session_and_refuse_a_busy_one()
    {
        var session = S("delete");
        var runId = (await Server.PostAsync(RunningServer.Path(session, "/reservations"), "{}")).Body.GetProperty("runId").GetString()!;

        var busy = await Server.Http.DeleteAsync(RunningServer.Path(session));
        var busyBody = await RunningServer.BodyAsync(busy);
        Assert.Equal((HttpStatusCode.Conflict, "session_busy"), (busy.StatusCode, busyBody.GetProperty("error").GetString()));
        Assert.Equal("running", (await Server.GetAsync(RunningServer.Path(session))).Body.GetProperty("status").GetString());

        await FinalizeAsync(session, runId, """{"outcome":"completed"}""");
        await PollAsync(RunningServer.Path(session, "/runs"), body => body.GetProperty("items").GetArrayLength() == 1);
        var deleted = await Server.Http.DeleteAsync(RunningServer.Path(session));

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Server.Http.GetAsync(RunningServer.Path(session))).StatusCode);
        await PollAsync(RunningServer.Path(session, "/runs"), body => body.GetProperty("items").GetArrayLength() == 0);
        var (_, sessions) = await Server.GetAsync("/sessions?limit=500");
        Assert.DoesNotContain(session, Ids(sessions));
        var (gone, _) = await Server.GetAsync(RunningServer.Path(session, $"/runs/{runId}"));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Should_answer_a_retry_with_the_same_idempotency_key_with_the_original_answer_and_422_for_another_body()
    {
        var session = S("idempotent");
        var key = Guid.NewGuid().ToString();

        var first = await PostWithKeyAsync(RunningServer.Path(session, "/reservations"), """{"metadata":{"n":1}}""", key);
        var retry = await PostWithKeyAsync(RunningServer.Path(session, "/reservations"), """{"metadata":{"n":1}}""", key);
        var other = await PostWithKeyAsync(RunningServer.Path(session, "/reservations"), """{"metadata":{"n":2}}""", key);

        Assert.Equal(HttpStatusCode.Created, first.Response.StatusCode);
        Assert.Equal((HttpStatusCode.Created, first.Body.GetProperty("runId").GetString()),
            (retry.Response.StatusCode, retry.Body.GetProperty("runId").GetString()));
        Assert.Equal(((HttpStatusCode)422, "idempotency_key_reused"), (other.Response.StatusCode, other.Body.GetProperty("error").GetString()));
        var runs = await PollAsync(RunningServer.Path(session, "/runs"), body => body.GetProperty("items").GetArrayLength() > 0);
        Assert.Equal([first.Body.GetProperty("runId").GetString()], runs.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("runId").GetString()));
    }

    [Fact]
    public async Task Should_describe_every_mapped_route_in_the_openapi_document()
    {
        var (response, document) = await Server.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var paths = document.GetProperty("paths");

        var routes = Server.App.Services.GetServices<Microsoft.AspNetCore.Routing.EndpointDataSource>()
            .SelectMany(source => source.Endpoints).OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .Where(endpoint => endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IHttpMethodMetadata>() is not null)
            .Select(endpoint => ("/" + endpoint.RoutePattern.RawText!.Trim('/'),
                endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IHttpMethodMetadata>()!.HttpMethods))
            .Where(route => route.Item1 != "/openapi/{documentName}.json")
            .ToList();

        Assert.Contains(routes, route => route.Item1 == "/sessions");
        var missing = new List<string>();
        foreach (var (path, methods) in routes)
        {
            foreach (var method in methods)
            {
                if (!paths.TryGetProperty(path, out var item) || !item.TryGetProperty(method.ToLowerInvariant(), out _))
                    missing.Add($"{method} {path}");
            }
        }
        Assert.Empty(missing);
        Assert.True(document.GetProperty("components").GetProperty("schemas").TryGetProperty("RunRecordBody", out _));
    }

    private static List<string?> Ids(JsonElement page) =>
        page.GetProperty("items").EnumerateArray().Select(s => s.GetProperty("sessionId").GetString()).ToList();

    private async Task WaitForRunAsync(string session, string runId)
    {
        var (response, record) = await Server.GetAsync(RunningServer.Path(session, $"/runs/{runId}/wait?timeoutMs=10000"));
        Assert.Equal((HttpStatusCode.OK, "completed"), (response.StatusCode, record.GetProperty("status").GetString()));
    }

    private async Task FinalizeAsync(string session, string runId, string body)
    {
        var (response, _) = await Server.PostAsync(RunningServer.Path(session, $"/runs/{runId}/finalize"), body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<(HttpResponseMessage Response, JsonElement Body)> PostWithKeyAsync(string path, string json, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", key);
        var response = await Server.Http.SendAsync(request);
        return (response, await RunningServer.BodyAsync(response));
    }

    /// <summary>GETs <paramref name="path"/> until its 200 body satisfies <paramref name="condition"/> (the read model lags
    /// the live state by less than a second).</summary>
    private async Task<JsonElement> PollAsync(string path, Func<JsonElement, bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var (response, body) = await Server.GetAsync(path);
            if (response.StatusCode == HttpStatusCode.OK && condition(body)) return body;
            await Task.Delay(25, timeout.Token);
        }
    }
}
