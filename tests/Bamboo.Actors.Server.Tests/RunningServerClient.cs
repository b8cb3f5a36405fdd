using System.Net;
using System.Text;
using System.Text.Json;

namespace Bamboo.Actors.Server.Tests;

/// <summary>HTTP helpers for a running server, in-process or not.</summary>
public sealed class RunningServerClient
{
    public RunningServerClient(HttpClient http) => Http = http;

    public RunningServerClient(Uri baseAddress) : this(new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) })
    {
    }

    public HttpClient Http { get; }

    public static string Path(string sessionId, string rest = "") => $"/sessions/{Uri.EscapeDataString(sessionId)}{rest}";

    public Task<HttpResponseMessage> PostJsonAsync(string path, string json) =>
        Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public async Task<(HttpResponseMessage Response, JsonElement Body)> PostAsync(string path, string json)
    {
        var response = await PostJsonAsync(path, json);
        return (response, await BodyAsync(response));
    }

    public async Task<(HttpResponseMessage Response, JsonElement Body)> GetAsync(string path)
    {
        var response = await Http.GetAsync(path);
        return (response, await BodyAsync(response));
    }

    /// <summary>Starts a managed run and returns its run id.</summary>
    public async Task<string> StartRunAsync(string sessionId, string json)
    {
        var (response, body) = await PostAsync(Path(sessionId, "/runs"), json);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return body.GetProperty("runId").GetString()!;
    }

    /// <summary>Polls the snapshot until <paramref name="status"/> (bounded); returns the snapshot.</summary>
    public async Task<JsonElement> WaitForStatusAsync(string sessionId, string status, double seconds = 10)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        while (true)
        {
            var (response, body) = await GetAsync(Path(sessionId));
            if (response.IsSuccessStatusCode && body.GetProperty("status").GetString() == status) return body;
            await Task.Delay(25, timeout.Token);
        }
    }

    public static async Task<JsonElement> BodyAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return string.IsNullOrEmpty(text) ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

}
