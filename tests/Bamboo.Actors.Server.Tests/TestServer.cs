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
        Client = new RunningServerClient(http);
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

    public static string Path(string sessionId, string rest = "") => RunningServerClient.Path(sessionId, rest);

    public RunningServerClient Client { get; }

    public Task<HttpResponseMessage> PostJsonAsync(string path, string json) => Client.PostJsonAsync(path, json);

    public Task<(HttpResponseMessage Response, JsonElement Body)> PostAsync(string path, string json) => Client.PostAsync(path, json);

    public Task<(HttpResponseMessage Response, JsonElement Body)> GetAsync(string path) => Client.GetAsync(path);

    public Task<string> StartRunAsync(string sessionId, string json) => Client.StartRunAsync(sessionId, json);

    public Task<JsonElement> WaitForStatusAsync(string sessionId, string status, double seconds = 10) =>
        Client.WaitForStatusAsync(sessionId, status, seconds);

    public static Task<JsonElement> BodyAsync(HttpResponseMessage response) => RunningServerClient.BodyAsync(response);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
