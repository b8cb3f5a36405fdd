using System.Net;
using System.Net.Http.Headers;
using Bamboo.Actors.Server.Tests;

namespace Bamboo.Actors.Console.Tests;

/// <summary>
/// Whether a server serves the read-model queries the console reads besides the live API: <c>GET /sessions</c> and
/// <c>GET /sessions/{id}/runs</c>. A server without them answers those requests 404 and 405, and the console says so on
/// the page and stops asking; the browser still logs those two answers.
/// </summary>
public static class QueryApi
{
    /// <summary>Whether <paramref name="server"/> answers <c>GET /sessions</c>.</summary>
    public static async Task<bool> ServedAsync(RunningServer server, string? apiKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/sessions?limit=1");
        if (apiKey is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        using var response = await server.Http.SendAsync(request);
        return response.StatusCode is not (HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed);
    }

    /// <summary>On a server without the queries, the page's answers for them are expected, and only those.</summary>
    public static async Task ExpectAbsenceAsync(ConsolePage console, RunningServer server, string? apiKey = null)
    {
        if (await ServedAsync(server, apiKey)) return;
        console.Expect(problem => problem.StartsWith("HTTP 404 GET /sessions", StringComparison.Ordinal) && !problem.Contains("/sessions/", StringComparison.Ordinal));
        console.Expect(problem => problem.StartsWith("HTTP 405 GET /sessions/", StringComparison.Ordinal) && problem.EndsWith("/runs", StringComparison.Ordinal));
        console.Expect(problem => problem.Contains("status of 404", StringComparison.Ordinal) && problem.Contains("/sessions?", StringComparison.Ordinal));
        console.Expect(problem => problem.Contains("status of 405", StringComparison.Ordinal) && problem.Contains("/runs?", StringComparison.Ordinal));
    }
}
