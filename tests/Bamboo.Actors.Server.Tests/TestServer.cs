using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;

namespace Bamboo.Actors.Server.Tests;

/// <summary>The real server (Kestrel on a loopback port chosen by the OS), started in-process.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    private RunningServer(WebApplication app, HttpClient http)
    {
        App = app;
        Http = http;
    }

    public WebApplication App { get; }

    public HttpClient Http { get; }

    public Uri BaseAddress => Http.BaseAddress!;

    public static async Task<RunningServer> StartAsync(params string[] settings)
    {
        string[] args =
        [
            "--urls", "http://127.0.0.1:0",
            "--Logging:LogLevel:Default=Warning",
            "--Bamboo:Server:KeepAliveInterval=00:00:00.300",
            // Every server gets its own SQLite database (the default persistence), so each starts from nothing.
            $"--Bamboo:Persistence:DataFolder={System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bamboo-server-tests", Guid.NewGuid().ToString("N"))}",
            .. settings,
        ];
        var app = BambooServer.Create(args);
        await app.StartAsync();
        var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()), Timeout = TimeSpan.FromSeconds(30) };
        return new RunningServer(app, http);
    }

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
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
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

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
