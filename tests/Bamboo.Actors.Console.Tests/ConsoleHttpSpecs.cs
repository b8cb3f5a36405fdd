using System.Net;
using System.Net.Http.Headers;
using Bamboo.Actors.Server.Infrastructure;
using Bamboo.Actors.Server.Tests;

namespace Bamboo.Actors.Console.Tests;

/// <summary>What the console needs from the server, over plain HTTP: its assets, the overview, the sign-in.</summary>
public sealed class ConsoleHttpSpecs(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private RunningServer Server => fixture.Server;

    [Fact]
    public async Task Should_serve_the_console_at_the_root_with_its_assets_and_a_strict_content_security_policy()
    {
        var page = await Server.Http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("console/app.js", html);

        foreach (var asset in new[] { "app.js", "api.js", "timeline.js", "views/session.js", "console.css", "favicon.svg" })
        {
            var response = await Server.Http.GetAsync("/console/" + asset);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{asset}: {response.StatusCode}");
        }
        Assert.Equal("text/javascript", (await Server.Http.GetAsync("/console/app.js")).Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await Server.Http.GetAsync("/console/missing.js")).StatusCode);
    }

    [Fact]
    public async Task Should_count_runs_per_minute_in_the_overview()
    {
        var before = (await Server.GetAsync("/overview")).Body.GetProperty("lastHour");
        var tag = Guid.NewGuid().ToString("N")[..6];
        await Server.StartRunAsync($"overview-ok-{tag}", """{"agent":"echo","input":"x"}""");
        await Server.StartRunAsync($"overview-fail-{tag}", """{"agent":"fail"}""");
        await Server.WaitForStatusAsync($"overview-ok-{tag}", "completed");
        await Server.WaitForStatusAsync($"overview-fail-{tag}", "error");

        var (response, overview) = await Server.GetAsync("/overview");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var hour = overview.GetProperty("lastHour");
        // Other specs of this class may run at the same time: at least these two runs.
        Assert.True(hour.GetProperty("started").GetInt64() >= before.GetProperty("started").GetInt64() + 2);
        Assert.True(hour.GetProperty("completed").GetInt64() >= before.GetProperty("completed").GetInt64() + 1);
        Assert.True(hour.GetProperty("failed").GetInt64() >= before.GetProperty("failed").GetInt64() + 1);
        Assert.InRange(hour.GetProperty("errorRate").GetDouble(), 0.0, 1.0);
        var minutes = overview.GetProperty("minutes");
        Assert.Equal(60, minutes.GetArrayLength());
        Assert.True(minutes[59].GetProperty("started").GetInt64() >= 1 || minutes[58].GetProperty("started").GetInt64() >= 1);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, overview.GetProperty("cluster").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, overview.GetProperty("node").ValueKind);
        Assert.True(overview.GetProperty("runsActive").GetInt64() >= 0);
    }

    [Fact]
    public async Task Should_need_no_sign_in_without_a_key()
    {
        var (response, state) = await Server.GetAsync("/auth/session");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(state.GetProperty("keyRequired").GetBoolean());
        var signIn = await Server.PostJsonAsync("/auth/session", "{}");
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        Assert.False(signIn.Headers.Contains("Set-Cookie"));
    }
}

/// <summary>The console's sign-in and the stream cookie, on a server that wants a key.</summary>
public sealed class StreamCookieSpecs(KeyServerFixture fixture) : IClassFixture<KeyServerFixture>
{
    private RunningServer Server => fixture.Server;

    [Fact]
    public async Task Should_serve_the_console_and_its_sign_in_state_without_the_key_and_nothing_else()
    {
        Assert.Equal(HttpStatusCode.OK, (await Server.Http.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Server.Http.GetAsync("/console/app.js")).StatusCode);
        var (response, state) = await Server.GetAsync("/auth/session");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(state.GetProperty("keyRequired").GetBoolean());

        Assert.Equal(HttpStatusCode.Unauthorized, (await Server.Http.GetAsync("/overview")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Server.PostJsonAsync("/auth/session", "{}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Server.Http.PostAsync("/console/app.js", null)).StatusCode);
    }

    [Fact]
    public async Task Should_set_an_http_only_strict_cookie_that_opens_event_streams_only()
    {
        var cookie = await SignInAsync();
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/sessions", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(KeyServerFixture.Key, cookie);
        var value = cookie.Split(';')[0];

        using var stream = await SendAsync(HttpMethod.Get, RunningServer.Path("cookie/a b 🎋", "/events"), value, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        Assert.Equal("text/event-stream", stream.Content.Headers.ContentType?.MediaType);

        // Nothing else: not the snapshot, not a run, not the overview.
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(HttpMethod.Get, RunningServer.Path("cookie/a b 🎋"), value)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(HttpMethod.Post, RunningServer.Path("cookie/a b 🎋", "/runs"), value)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(HttpMethod.Get, "/overview", value)).StatusCode);
    }

    [Theory]
    [InlineData("forged")]
    [InlineData("expired")]
    [InlineData("other key")]
    public async Task Should_refuse_an_event_stream_with_a_cookie_that_was_not_signed_for_now_and_this_key(string kind)
    {
        var now = DateTimeOffset.UtcNow;
        var value = kind switch
        {
            "forged" => (await SignInAsync()).Split(';')[0][..^4] + "AAAA",
            "expired" => $"{ApiKeyAuthentication.StreamCookieName}=" +
                ApiKeyAuthentication.StreamCookieValue(ApiKeyAuthentication.StreamCookieKey(KeyServerFixture.Key), now.AddSeconds(-1).ToUnixTimeSeconds()),
            _ => $"{ApiKeyAuthentication.StreamCookieName}=" +
                ApiKeyAuthentication.StreamCookieValue(ApiKeyAuthentication.StreamCookieKey("another key"), now.AddHours(1).ToUnixTimeSeconds()),
        };

        using var response = await SendAsync(HttpMethod.Get, RunningServer.Path("cookie-refused", "/events"), value, HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Should_remove_the_cookie_on_sign_out()
    {
        var response = await Server.Http.DeleteAsync("/auth/session");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith($"{ApiKeyAuthentication.StreamCookieName}=;", cookie);
        Assert.Contains("expires=Thu, 01 Jan 1970", cookie, StringComparison.OrdinalIgnoreCase);
    }

    private async Task<string> SignInAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/session");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", KeyServerFixture.Key);
        var response = await Server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await RunningServer.BodyAsync(response);
        Assert.True(body.GetProperty("keyRequired").GetBoolean());
        return Assert.Single(response.Headers.GetValues("Set-Cookie"));
    }

    /// <summary>Sends exactly <paramref name="cookie"/> (the server's shared client keeps the cookies it was given).</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string cookie,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = Server.BaseAddress };
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Cookie", cookie);
        if (method == HttpMethod.Post) request.Content = new StringContent("""{"agent":"echo"}""", System.Text.Encoding.UTF8, "application/json");
        // An event stream stays open: what the spec reads is its status and headers, and the client's end closes it.
        return await http.SendAsync(request, completion);
    }
}
