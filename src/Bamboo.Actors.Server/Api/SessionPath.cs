using Bamboo.Actors.Routing;
using Microsoft.AspNetCore.Http.Features;

namespace Bamboo.Actors.Server.Api;

/// <summary>
/// Reads the session id of <c>/sessions/{id}/...</c> from the raw request target, so one percent-encoded segment is
/// exactly one id (<c>a%2Fb</c> is <c>a/b</c>, <c>%252F</c> is <c>%2F</c>) — ASP.NET Core's decoded path leaves
/// <c>%2F</c> encoded and would make those two ambiguous. The raw target is read the way the server routes it: in
/// absolute form (<c>http://host/sessions/...</c>) from its path, with dot segments (<c>.</c>, <c>..</c>, also
/// percent-encoded) removed, and <c>sessions</c> in any case. Invalid ids are answered 400 before any state is touched.
/// </summary>
internal static class SessionPath
{
    private const string ItemKey = "bamboo.sessionId";

    public static string SessionId(this HttpContext context) => (string)context.Items[ItemKey]!;

    public static async Task Middleware(HttpContext context, RequestDelegate next)
    {
        // Routing matches paths case-insensitively: so does this.
        if (!context.Request.Path.StartsWithSegments("/sessions", StringComparison.OrdinalIgnoreCase))
        {
            await next(context);
            return;
        }
        var segments = Segments(context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "");
        // segments: "sessions", "{id}", ...
        if (segments.Count < 2)
        {
            await next(context);
            return;
        }
        if (!segments[0].Equals("sessions", StringComparison.OrdinalIgnoreCase))
        {
            // The raw target does not say what the routed path says: better no answer than one about another session.
            await ApiResults.BadRequest("invalid_path", "the request target cannot be read as /sessions/{id}/...").ExecuteAsync(context);
            return;
        }

        var sessionId = Uri.UnescapeDataString(segments[1]);
        if (SessionIds.Validate(sessionId) is { } problem)
        {
            await ApiResults.BadRequest("invalid_session_id", problem).ExecuteAsync(context);
            return;
        }
        context.Items[ItemKey] = sessionId;
        await next(context);
    }

    /// <summary>The raw (still percent-encoded) segments of a request target's path, dot segments resolved.</summary>
    internal static List<string> Segments(string rawTarget)
    {
        var path = rawTarget;
        if (!path.StartsWith('/'))
        {
            // Absolute form, as sent to a proxy: the path starts after the authority.
            var authority = path.IndexOf("://", StringComparison.Ordinal);
            var slash = authority < 0 ? -1 : path.IndexOf('/', authority + 3);
            path = slash < 0 ? "/" : path[slash..];
        }
        var query = path.IndexOfAny(['?', '#']);
        if (query >= 0) path = path[..query];

        var segments = new List<string>();
        foreach (var segment in path.Split('/')[1..])
        {
            // Kestrel decodes %2E before it removes dot segments; so must the reading of the raw target.
            switch (segment.Replace("%2e", ".", StringComparison.OrdinalIgnoreCase))
            {
                case ".":
                    break;
                case "..":
                    if (segments.Count > 0) segments.RemoveAt(segments.Count - 1);
                    break;
                default:
                    segments.Add(segment);
                    break;
            }
        }
        return segments;
    }
}
