using System.Net;
using System.Text;
using System.Text.Json;
using Bamboo.Actors.Server.Tests.Fuzzing;

namespace Bamboo.Actors.Server.Tests;

/// <summary>
/// Requests that no ordinary client sends, sent byte for byte: request targets in absolute form or with dot segments, and
/// bodies whose framing breaks. Each acts on the session its URL means, or is a 4xx with the JSON error body — never a 5xx.
/// </summary>
public sealed class HostileRequestSpecs(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private RunningServer Server => fixture.Server;

    private int Port => Server.BaseAddress.Port;

    [Theory]
    [InlineData("http://127.0.0.1:{port}/sessions/{id}/reservations")]
    [InlineData("/x/../sessions/{id}/reservations")]
    [InlineData("/sessions/decoy-{id}/../{id}/reservations")]
    [InlineData("/sessions/{id}/./reservations")]
    [InlineData("/sessions/{id}/runs/%2e%2E/reservations")]
    [InlineData("/SESSIONS/{id}/reservations")]
    public async Task Should_act_on_the_session_the_url_means(string target)
    {
        var id = $"target-{Guid.NewGuid():N}";

        var response = await SendAsync(new RawRequest("POST", target.Replace("{port}", $"{Port}").Replace("{id}", id),
            [new("Content-Type", "application/json")], "{}"u8.ToArray()));

        Assert.Equal(201, response!.Status);
        Assert.Equal(id, Json(response).GetProperty("sessionId").GetString());
        Assert.Equal("running", (await Server.GetAsync(RunningServer.Path(id))).Body.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await Server.GetAsync(RunningServer.Path($"decoy-{id}"))).Response.StatusCode);
    }

    [Fact]
    public async Task Should_answer_a_body_with_broken_chunk_framing_with_a_json_400()
    {
        var id = $"broken-{Guid.NewGuid():N}";

        var response = await SendAsync(new RawRequest("POST", RunningServer.Path(id, "/runs"), [new("Content-Type", "application/json")],
            Encoding.UTF8.GetBytes("""{"agent":"echo","input":"never whole"}"""), BodyMode.BadChunked));

        Assert.Equal(400, response!.Status);
        Assert.Equal("application/json", response.MediaType);
        Assert.Equal("bad_request", Json(response).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await Server.GetAsync(RunningServer.Path(id))).Response.StatusCode);
    }

    [Fact]
    public async Task Should_change_nothing_for_a_body_cut_short_by_the_client()
    {
        var id = $"cut-{Guid.NewGuid():N}";

        // The client stops sending before the Content-Length is reached: Kestrel treats that as the connection gone,
        // so there may be nobody to answer; whatever comes back is no 5xx, and nothing starts.
        var response = await SendAsync(new RawRequest("POST", RunningServer.Path(id, "/runs"), [new("Content-Type", "application/json")],
            Encoding.UTF8.GetBytes("""{"agent":"echo","input":"never whole"}"""), BodyMode.Truncated), answerRequired: false);

        Assert.True(response is null or { Status: 400 }, response?.Describe());
        Assert.Equal(HttpStatusCode.NotFound, (await Server.GetAsync(RunningServer.Path(id))).Response.StatusCode);
    }

    private async Task<RawResponse?> SendAsync(RawRequest request, bool answerRequired = true)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var connection = await RawHttpConnection.OpenAsync(Port, timeout.Token);
        var response = await connection.SendAsync(request, timeout.Token);
        return response is null && answerRequired ? throw new InvalidOperationException("no answer") : response;
    }

    private static JsonElement Json(RawResponse response) => JsonDocument.Parse(response.Body).RootElement.Clone();
}
