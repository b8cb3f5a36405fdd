using System.Net;
using System.Text;
using System.Text.Json;

namespace Bamboo.Actors.Server.Tests;

/// <summary>Bad input gets a 4xx with a JSON error body and changes nothing.</summary>
public sealed class BadInputSpecs(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Session = "bad-input";
    private static readonly string Long = new('x', 257);
    private RunningServer Server => fixture.Server;

    public static TheoryData<string, string, string?, string?, int, string> Cases => new()
    {
        // method, path (relative to /sessions/bad-input unless absolute), content type, body, status, error code
        { "POST", "/runs", "application/json", "{not json", 400, "invalid_json" },
        { "POST", "/runs", "application/json", "[]", 400, "invalid_body" },
        { "POST", "/runs", "application/json", "null", 400, "invalid_body" },
        { "POST", "/runs", "application/json", "42", 400, "invalid_body" },
        { "POST", "/runs", "application/json", "{}", 400, "missing_field" },
        { "POST", "/runs", "application/json", """{"agent":"nope"}""", 400, "unknown_agent" },
        { "POST", "/runs", "application/json", """{"agent":7}""", 400, "invalid_field" },
        { "POST", "/runs", "application/json", """{"agent":"ECHO"}""", 400, "unknown_agent" },
        { "POST", "/runs", "application/json", """{"agent":"echo","input":5}""", 400, "invalid_field" },
        { "POST", "/runs", "application/json", """{"agent":"sleep","durationMs":-1}""", 400, "invalid_value" },
        { "POST", "/runs", "application/json", """{"agent":"sleep","durationMs":"10"}""", 400, "invalid_field" },
        { "POST", "/runs", "application/json", """{"agent":"sleep","durationMs":9223372036854775807}""", 400, "invalid_value" },
        { "POST", "/runs", "application/json", """{"agent":"sleep","durationMs":2592000001}""", 400, "invalid_value" },
        { "POST", "/runs", "application/json", """{"agent":"sleep","durationMs":1.5}""", 400, "invalid_field" },
        { "POST", "/runs", "application/json", """{"agent":"echo","onConflict":"queue"}""", 400, "unknown_policy" },
        { "POST", "/runs", "application/json", """{"agent":"echo","onConflict":true}""", 400, "invalid_field" },
        { "POST", "/runs", "text/plain", """{"agent":"echo"}""", 415, "unsupported_media_type" },
        { "POST", "/runs", "application/json", null, 400, "missing_body" },
        { "POST", "/reservations", "application/json", """{"deadlineMs":-5}""", 400, "invalid_value" },
        { "POST", "/reservations", "application/json", """{"deadlineMs":0}""", 400, "invalid_value" },
        { "POST", "/reservations", "application/json", """{"onConflict":"later"}""", 400, "unknown_policy" },
        { "POST", "/reservations", "application/json", "[1,2]", 400, "invalid_body" },
        { "POST", "/runs/r1/events", "application/json", """{"type":"execution_finished"}""", 400, "unknown_event_type" },
        { "POST", "/runs/r1/events", "application/json", """{"type":"made_up"}""", 400, "unknown_event_type" },
        { "POST", "/runs/r1/events", "application/json", """{"text":"no type"}""", 400, "missing_field" },
        { "POST", "/runs/r1/events", "application/json", """{"type":"token_delta"}""", 400, "missing_field" },
        { "POST", "/runs/r1/events", "application/json", """{"type":"tool_started","toolName":""}""", 400, "invalid_value" },
        { "POST", "/runs/r1/events", "application/json", """{"type":"tool_lifecycle","toolName":"t","phase":"middle"}""", 400, "invalid_value" },
        { "POST", "/runs/r1/events", "application/json", """{"type":"runner_progress","roundCount":-2}""", 400, "invalid_value" },
        { "POST", "/runs/r1/events", "application/json", """{"type":"token_budget","used":"1","limit":2}""", 400, "invalid_field" },
        { "POST", "/runs/r1/finalize", "application/json", """{"outcome":"done"}""", 400, "unknown_outcome" },
        { "POST", "/runs/r1/finalize", "application/json", "{}", 400, "missing_field" },
        { "POST", "/runs/r1/finalize", "application/json", """{"outcome":"error","error":42}""", 400, "invalid_field" },
        { "POST", "/cancel", "application/json", """{"runId":5}""", 400, "invalid_field" },
        { "POST", "/cancel", "application/json", "\"just a string\"", 400, "invalid_body" },
        { "GET", "/events?after=-1", null, null, 400, "invalid_cursor" },
        { "GET", "/events?after=abc", null, null, 400, "invalid_cursor" },
        { "DELETE", "/runs", null, null, 405, "method_not_allowed" },
        { "PUT", "", null, null, 405, "method_not_allowed" },
        { "GET", "/nothing-here", null, null, 404, "not_found" },
        { "POST", "/sessions//runs", "application/json", """{"agent":"echo"}""", 400, "invalid_session_id" },
        { "POST", "/sessions/a%0Ab/runs", "application/json", """{"agent":"echo"}""", 400, "invalid_session_id" },
        { "POST", "/sessions/tab%09id/reservations", "application/json", "{}", 400, "invalid_session_id" },
        { "GET", "/sessions/" + Long, null, null, 400, "invalid_session_id" },
        { "GET", "/sessions/%7F", null, null, 400, "invalid_session_id" },
        { "POST", "/runs", "application/json", "{\"agent\":\"echo\",\"agent\":\"sleep\"}", 400, "invalid_json" },
        { "POST", "/runs/a%0Ab/finalize", "application/json", "{\"outcome\":\"completed\"}", 400, "invalid_command" },
        { "POST", "/runs/" + new string('r', 129) + "/events", "application/json", "{\"type\":\"token_delta\",\"text\":\"x\"}", 400, "invalid_command" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Should_answer_bad_input_with_a_json_4xx_and_change_nothing(
        string method, string path, string? contentType, string? body, int status, string error)
    {
        var before = await SnapshotAsync();

        var response = await SendAsync(method, path.StartsWith('/') && path.StartsWith("/sessions") ? path : RunningServer.Path(Session, path), contentType, body);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var json = await RunningServer.BodyAsync(response);
        Assert.Equal(error, json.GetProperty("error").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("detail").GetString()));
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task Should_answer_400_for_a_string_that_is_not_valid_utf8()
    {
        var before = await SnapshotAsync();
        var content = new ByteArrayContent([.. "{\"agent\":\"echo\",\"input\":\""u8, 0xFF, 0xFE, .. "\"}"u8]);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        var response = await Server.Http.PostAsync(RunningServer.Path(Session, "/runs"), content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_json", (await RunningServer.BodyAsync(response)).GetProperty("error").GetString());
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task Should_answer_413_with_a_json_body_for_a_body_over_one_mebibyte()
    {
        var before = await SnapshotAsync();
        var huge = "{\"agent\":\"echo\",\"input\":\"" + new string('a', 1024 * 1024 + 10) + "\"}";

        var request = new HttpRequestMessage(HttpMethod.Post, RunningServer.Path(Session, "/runs"))
        {
            Content = new StringContent(huge, Encoding.UTF8, "application/json"),
        };
        // As a well-behaved client with a large body: the server refuses it before the body is sent.
        request.Headers.ExpectContinue = true;

        var response = await Server.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("payload_too_large", (await RunningServer.BodyAsync(response)).GetProperty("error").GetString());
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task Should_answer_413_for_a_chunked_body_over_the_limit()
    {
        var huge = "{\"agent\":\"echo\",\"input\":\"" + new string('a', 1024 * 1024 + 10) + "\"}";
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(huge)));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, RunningServer.Path(Session, "/runs")) { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var response = await Server.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("payload_too_large", (await RunningServer.BodyAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Should_validate_before_consulting_state_even_for_an_unknown_session_or_finished_run()
    {
        var unknown = await SendAsync("POST", RunningServer.Path("never-seen", "/runs/r1/finalize"), "application/json", """{"outcome":"maybe"}""");
        var finished = await SendAsync("POST", RunningServer.Path(Session, "/runs/" + await FinishedRunAsync() + "/events"), "application/json", "[]");

        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, finished.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Server.GetAsync(RunningServer.Path("never-seen"))).Response.StatusCode);
    }

    private async Task<string> FinishedRunAsync()
    {
        var status = await SnapshotAsync();
        return JsonDocument.Parse(status).RootElement.GetProperty("runId").GetString()!;
    }

    /// <summary>The session's snapshot as text: it has one finished run, so it exists and must never change here.</summary>
    private async Task<string> SnapshotAsync()
    {
        var (response, body) = await Server.GetAsync(RunningServer.Path(Session));
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            await Server.StartRunAsync(Session, """{"agent":"echo","input":"seed"}""");
            body = await Server.WaitForStatusAsync(Session, "completed");
        }
        var snapshot = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(body.GetRawText())!;
        snapshot.Remove("subscriberCount");
        return JsonSerializer.Serialize(snapshot);
    }

    private Task<HttpResponseMessage> SendAsync(string method, string path, string? contentType, string? body)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = contentType is null ? null : new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }
        return Server.Http.SendAsync(request);
    }
}
