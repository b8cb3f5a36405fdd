using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Bamboo.Actors.Benchmarks.Harness;

/// <summary>
/// The ceiling an HTTP cycle can approach on this machine: Kestrel and minimal-API routing answering the server's
/// reserve and finalize requests (same paths, bodies read, JSON answers of the same shape) with nothing behind them. Run
/// as its own process, like the server (<c>dotnet Bamboo.Actors.Benchmarks.dll --bare-kestrel --urls …</c>), so the two
/// are measured the same way by the same load.
/// </summary>
public static class BareKestrel
{
    /// <summary>The argument that runs this program as the bare endpoint instead of the harness.</summary>
    public const string Argument = "--bare-kestrel";

    /// <summary>Serves until the process is stopped.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args.Where(arg => arg != Argument).ToArray());
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", () => Results.Text("ready"));
        app.MapPost("/sessions/{sessionId}/reservations", async (string sessionId, HttpRequest request) =>
        {
            using var body = await JsonDocument.ParseAsync(request.Body);
            return Results.Json(new Reservation(sessionId, Guid.NewGuid().ToString("N"), "running"), statusCode: StatusCodes.Status201Created);
        });
        app.MapPost("/sessions/{sessionId}/runs/{runId}/finalize", async (string sessionId, string runId, HttpRequest request) =>
        {
            using var body = await JsonDocument.ParseAsync(request.Body);
            return Results.Json(new Reservation(sessionId, runId, "completed"));
        });
        await app.RunAsync();
        return 0;
    }

    private sealed record Reservation(string SessionId, string RunId, string Status);
}
