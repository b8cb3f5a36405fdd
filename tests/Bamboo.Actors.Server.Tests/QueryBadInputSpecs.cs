using System.Net;
using System.Text;
using System.Text.Json;

namespace Bamboo.Actors.Server.Tests;

/// <summary>Bad input to the query API and to idempotent starts: a 4xx with the JSON error body, and nothing changed.</summary>
public sealed class QueryBadInputSpecs(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Session = "query-bad-input";
    private RunningServer Server => fixture.Server;

    private static string Cursor(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static TheoryData<string, int, string> Queries => new()
    {
        // path, status, error code ("{run}" is a run of the session, "{cursor:runs}" a cursor of its runs list)
        { "/sessions?limit=0", 400, "invalid_limit" },
        { "/sessions?limit=501", 400, "invalid_limit" },
        { "/sessions?limit=abc", 400, "invalid_limit" },
        { "/sessions?limit=-1", 400, "invalid_limit" },
        { "/sessions?limit=", 400, "invalid_limit" },
        { "/sessions?limit=1&limit=2", 400, "invalid_query" },
        { "/sessions?status=bogus", 400, "unknown_status" },
        { "/sessions?status=RUNNING", 400, "unknown_status" },
        { "/sessions?cursor=not-a-cursor", 400, "invalid_cursor" },
        { "/sessions?cursor=", 400, "invalid_cursor" },
        { "/sessions?cursor=s1." + "%21%21", 400, "invalid_cursor" },
        { "/sessions?cursor={cursor:runs}", 400, "invalid_cursor" },
        { "/sessions/query-bad-input/runs?cursor={cursor:sessions}", 400, "invalid_cursor" },
        { "/sessions/other-session/runs?cursor={cursor:runs}", 400, "invalid_cursor" },
        { "/sessions/query-bad-input/runs?limit=0", 400, "invalid_limit" },
        { "/sessions/query-bad-input/runs?limit=501", 400, "invalid_limit" },
        { "/sessions/query-bad-input/runs?limit=abc", 400, "invalid_limit" },
        { "/sessions/query-bad-input/runs?status=finished", 400, "unknown_status" },
        { "/sessions/query-bad-input/runs/not-a-uuid", 400, "invalid_run_id" },
        { "/sessions/query-bad-input/runs/not-a-uuid/wait", 400, "invalid_run_id" },
        { "/sessions/query-bad-input/runs/00000000-0000-0000-0000-000000000000", 404, "unknown_run" },
        { "/sessions/query-bad-input/runs/00000000-0000-0000-0000-000000000000/wait?timeoutMs=0", 404, "unknown_run" },
        { "/sessions/query-bad-input/runs/{run}/wait?timeoutMs=60001", 400, "invalid_timeout" },
        { "/sessions/query-bad-input/runs/{run}/wait?timeoutMs=-1", 400, "invalid_timeout" },
        { "/sessions/query-bad-input/runs/{run}/wait?timeoutMs=soon", 400, "invalid_timeout" },
    };

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task Should_answer_a_bad_query_with_a_json_4xx(string path, int status, string error)
    {
        var run = await CurrentRunAsync();
        var runsCursor = new Bamboo.Actors.History.HistoryCursor(DateTimeOffset.UnixEpoch, Guid.NewGuid().ToString()).ForRuns(Session);
        var sessionsCursor = new Bamboo.Actors.History.HistoryCursor(DateTimeOffset.UnixEpoch, "x").ForSessions();
        var before = await SnapshotAsync();

        var response = await Server.Http.GetAsync(path.Replace("{run}", run).Replace("{cursor:runs}", runsCursor)
            .Replace("{cursor:sessions}", sessionsCursor));

        await AssertErrorAsync(response, status, error);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task Should_refuse_a_cursor_that_decodes_to_garbage()
    {
        foreach (var cursor in new[] { "s1." + Cursor("not ticks\nid"), "s1." + Cursor("123"), "r1." + Cursor("1\nrun\nother"), "s1." + Cursor("-5\nid") })
        {
            var path = cursor.StartsWith("s1.") ? "/sessions?cursor=" : $"/sessions/{Session}/runs?cursor=";
            await AssertErrorAsync(await Server.Http.GetAsync(path + Uri.EscapeDataString(cursor)), 400, "invalid_cursor");
        }
    }

    public static TheoryData<string, string> BadKeys => new()
    {
        { "empty", "" },
        { "too long", new string('k', 129) },
        { "space only", " " },
    };

    [Theory]
    [MemberData(nameof(BadKeys))]
    public async Task Should_refuse_a_malformed_idempotency_key_and_start_nothing(string because, string key)
    {
        _ = because;
        var session = "bad-key-" + Guid.NewGuid().ToString("N")[..8];
        foreach (var (path, body) in new[] { ("/runs", """{"agent":"echo"}"""), ("/reservations", "{}") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, RunningServer.Path(session, path))
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key);

            await AssertErrorAsync(await Server.Http.SendAsync(request), 400, "invalid_idempotency_key");
        }
        Assert.Equal(HttpStatusCode.NotFound, (await Server.Http.GetAsync(RunningServer.Path(session))).StatusCode);
    }

    [Fact]
    public async Task Should_refuse_a_non_ascii_idempotency_key_and_start_nothing()
    {
        var session = "bad-key-" + Guid.NewGuid().ToString("N")[..8];
        using var handler = new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8 };
        using var http = new HttpClient(handler) { BaseAddress = Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, RunningServer.Path(session, "/reservations"))
        {
            Content = new StringContent("{}", Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", "clé-é");

        var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Server.Http.GetAsync(RunningServer.Path(session))).StatusCode);
    }

    [Fact]
    public async Task Should_refuse_an_output_over_256_kib_or_not_json_and_keep_the_run()
    {
        var run = await CurrentRunAsync();
        var huge = "{\"outcome\":\"completed\",\"output\":\"" + new string('o', 256 * 1024) + "\"}";
        var before = await SnapshotAsync();

        await AssertErrorAsync(await Server.PostJsonAsync(RunningServer.Path(Session, $"/runs/{run}/finalize"), huge), 400, "invalid_output");
        await AssertErrorAsync(await Server.PostJsonAsync(RunningServer.Path(Session, $"/runs/{run}/finalize"), """{"outcome":"completed","output":}"""),
            400, "invalid_json");
        await AssertErrorAsync(await Server.PostJsonAsync(RunningServer.Path(Session, $"/runs/{run}/finalize"), """{"outcome":"completed","output":NaN}"""),
            400, "invalid_json");
        var metadata = "{\"metadata\":{\"m\":\"" + new string('m', 256 * 1024) + "\"}}";
        await AssertErrorAsync(await Server.PostJsonAsync(RunningServer.Path("other-" + Guid.NewGuid().ToString("N"), "/reservations"), metadata),
            400, "invalid_metadata");
        await AssertErrorAsync(await Server.PostJsonAsync(RunningServer.Path(Session, "/reservations"), """{"metadata":[1]}"""), 400, "invalid_field");
        await AssertErrorAsync(await Server.PostJsonAsync(RunningServer.Path(Session, "/reservations"), """{"heartbeatTimeoutMs":0}"""), 400, "invalid_value");

        Assert.Equal(before, await SnapshotAsync());
    }

    /// <summary>The session's run that the specs use (a reservation that stays running while the class runs).</summary>
    private async Task<string> CurrentRunAsync()
    {
        var (response, snapshot) = await Server.GetAsync(RunningServer.Path(Session));
        if (response.StatusCode == HttpStatusCode.OK && snapshot.GetProperty("status").GetString() == "running")
            return snapshot.GetProperty("runId").GetString()!;
        var (reserved, body) = await Server.PostAsync(RunningServer.Path(Session, "/reservations"), """{"deadlineMs":600000}""");
        Assert.Equal(HttpStatusCode.Created, reserved.StatusCode);
        return body.GetProperty("runId").GetString()!;
    }

    private async Task<string> SnapshotAsync()
    {
        var (_, body) = await Server.GetAsync(RunningServer.Path(Session));
        return JsonSerializer.Serialize(body);
    }

    private static async Task AssertErrorAsync(HttpResponseMessage response, int status, string error)
    {
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var json = await RunningServer.BodyAsync(response);
        Assert.Equal(error, json.GetProperty("error").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("detail").GetString()));
    }
}
