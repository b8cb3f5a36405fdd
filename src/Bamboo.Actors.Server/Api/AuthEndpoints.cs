using Bamboo.Actors.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Bamboo.Actors.Server.Api;

/// <summary>
/// <c>/auth/session</c>: the console's sign-in. <c>GET</c> (no key needed) says whether the server wants a key;
/// <c>POST</c> with the bearer key sets the HttpOnly stream cookie that authenticates the console's event streams
/// (<see cref="ApiKeyAuthentication"/>); <c>DELETE</c> (no key needed) removes it.
/// </summary>
internal static class AuthEndpoints
{
    /// <summary>Whether the server wants a key, and until when the stream cookie just set is honoured.</summary>
    public sealed record AuthState(bool KeyRequired, DateTimeOffset? StreamCookieExpiresAt);

    public static IEndpointRouteBuilder MapAuthEndpoints(this IEndpointRouteBuilder app, string? apiKey)
    {
        app.MapGet("/auth/session", (HttpContext context) => NoStore(context, new AuthState(apiKey is not null, null)));
        app.MapPost("/auth/session", (HttpContext context, TimeProvider time) =>
        {
            // Only reached with the right bearer key (the middleware answered 401 otherwise). Without a key there is
            // nothing to sign in to, and no cookie.
            if (apiKey is null) return NoStore(context, new AuthState(false, null));
            var now = time.GetUtcNow();
            ApiKeyAuthentication.IssueStreamCookie(context, apiKey, now);
            return NoStore(context, new AuthState(true, now + ApiKeyAuthentication.StreamCookieLifetime));
        });
        app.MapDelete("/auth/session", (HttpContext context) =>
        {
            ApiKeyAuthentication.ClearStreamCookie(context);
            return TypedResults.NoContent();
        });
        return app;
    }

    private static JsonHttpResult<AuthState> NoStore(HttpContext context, AuthState state)
    {
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Json(state, ApiJson.Options);
    }
}
