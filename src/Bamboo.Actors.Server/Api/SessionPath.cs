using Bamboo.Actors.Routing;
using Microsoft.AspNetCore.Http.Features;

namespace Bamboo.Actors.Server.Api;

/// <summary>
/// Reads the session id of <c>/sessions/{id}/...</c> from the raw request target, so one percent-encoded segment is
/// exactly one id (<c>a%2Fb</c> is <c>a/b</c>, <c>%252F</c> is <c>%2F</c>) — ASP.NET Core's decoded path leaves
/// <c>%2F</c> encoded and would make those two ambiguous. Invalid ids are answered 400 before any routing or state.
/// </summary>
internal static class SessionPath
{
    private const string ItemKey = "bamboo.sessionId";

    public static string SessionId(this HttpContext context) => (string)context.Items[ItemKey]!;

    public static async Task Middleware(HttpContext context, RequestDelegate next)
    {
        if (!context.Request.Path.StartsWithSegments("/sessions", StringComparison.Ordinal))
        {
            await next(context);
            return;
        }
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "";
        var query = raw.IndexOf('?');
        if (query >= 0) raw = raw[..query];
        var segments = raw.Split('/');
        // segments: "", "sessions", "{id}", ...
        if (segments.Length < 3)
        {
            await next(context);
            return;
        }

        var sessionId = Uri.UnescapeDataString(segments[2]);
        if (SessionIds.Validate(sessionId) is { } problem)
        {
            await ApiResults.BadRequest("invalid_session_id", problem).ExecuteAsync(context);
            return;
        }
        context.Items[ItemKey] = sessionId;
        await next(context);
    }
}
