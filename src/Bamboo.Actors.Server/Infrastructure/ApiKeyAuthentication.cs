using System.Net;
using System.Security.Cryptography;
using System.Text;
using Bamboo.Actors.Server.Api;

namespace Bamboo.Actors.Server.Infrastructure;

/// <summary>
/// Bearer API key: with <c>Bamboo:ApiKey</c> set, every endpoint but <c>/healthz</c>, <c>/readyz</c>, the console's
/// static assets (<c>/</c>, <c>/console/*</c>, which hold no data) and the console's sign-in state
/// (<c>GET</c>/<c>DELETE /auth/session</c>) needs <c>Authorization: Bearer &lt;key&gt;</c>. Listening on anything but
/// loopback without a key is refused (<see cref="ListenGuardServer"/> checks the addresses actually bound).
/// <para>
/// A browser's <c>EventSource</c> cannot send that header, and the key must never travel in a URL (URLs end up in logs
/// and histories). So the console's key form posts the key once, as a bearer header, to <c>POST /auth/session</c>, which
/// answers with a <em>stream cookie</em>: HttpOnly (no script can read it), <c>SameSite=Strict</c> (no other site can
/// make the browser send it), scoped to <c>/sessions</c>, valid for <see cref="StreamCookieLifetime"/>, and honoured
/// only by <c>GET /sessions/{id}/events</c>. Its value is an expiry signed with HMAC-SHA256 under a key derived from
/// the API key (HKDF): nothing is stored on the server, every node with the same API key accepts it, and changing the
/// API key revokes every cookie.
/// </para>
/// </summary>
internal static class ApiKeyAuthentication
{
    public const string ConfigurationKey = "Bamboo:ApiKey";

    /// <summary>Name of the stream cookie.</summary>
    public const string StreamCookieName = "bamboo_stream";

    /// <summary>How long a stream cookie is honoured after the key form was sent.</summary>
    public static readonly TimeSpan StreamCookieLifetime = TimeSpan.FromHours(12);

    private const string StreamCookieVersion = "v1";

    /// <summary>The configured key, or null when there is none (unset, empty or only whitespace).</summary>
    public static string? ConfiguredKey(IConfiguration configuration) =>
        configuration[ConfigurationKey] is { } key && !string.IsNullOrWhiteSpace(key) ? key : null;

    public static Func<HttpContext, RequestDelegate, Task> Middleware(string apiKey)
    {
        var expected = SHA256.HashData(Encoding.UTF8.GetBytes(apiKey));
        var cookieKey = StreamCookieKey(apiKey);
        return async (context, next) =>
        {
            var request = context.Request;
            if (IsPublic(request) || IsAuthorized(request, expected) || (IsEventStream(request) && HasValidStreamCookie(request, cookieKey, DateTimeOffset.UtcNow)))
            {
                await next(context);
                return;
            }
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await ApiResults.Error(StatusCodes.Status401Unauthorized, "unauthorized", "send Authorization: Bearer <api key>").ExecuteAsync(context);
        };
    }

    /// <summary>Whether every URL the server listens on is a loopback address.</summary>
    public static bool AllLoopback(IEnumerable<string> urls) => urls.All(IsLoopback);

    /// <summary>
    /// Whether <paramref name="url"/> (as configured, or as Kestrel reports a bound address) reaches only this machine:
    /// a loopback IP, <c>localhost</c>, a Unix socket or a named pipe. Wildcards (<c>*</c>, <c>+</c>, <c>0.0.0.0</c>,
    /// <c>[::]</c>) and host names bind every interface.
    /// </summary>
    public static bool IsLoopback(string url)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        var rest = schemeEnd < 0 ? url : url[(schemeEnd + 3)..];
        if (rest.StartsWith("unix:", StringComparison.OrdinalIgnoreCase) || rest.StartsWith("pipe:", StringComparison.OrdinalIgnoreCase))
            return true;
        var host = rest.StartsWith('[') ? rest[..(rest.IndexOf(']') + 1)] : rest.Split(':', '/')[0];
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);
    }

    /// <summary>Sets the stream cookie on <paramref name="response"/> (the request carried the right bearer key).</summary>
    public static void IssueStreamCookie(HttpContext context, string apiKey, DateTimeOffset now)
    {
        var expires = now + StreamCookieLifetime;
        context.Response.Cookies.Append(StreamCookieName, StreamCookieValue(StreamCookieKey(apiKey), expires.ToUnixTimeSeconds()),
            StreamCookieOptions(context, expires));
    }

    /// <summary>Removes the stream cookie (the console's sign-out).</summary>
    public static void ClearStreamCookie(HttpContext context) =>
        context.Response.Cookies.Delete(StreamCookieName, StreamCookieOptions(context, expires: null));

    /// <summary>Whether the request carries a stream cookie signed for this key and not yet expired.</summary>
    internal static bool HasValidStreamCookie(HttpRequest request, byte[] cookieKey, DateTimeOffset now)
    {
        if (!request.Cookies.TryGetValue(StreamCookieName, out var value) || value is null) return false;
        var parts = value.Split('.');
        if (parts.Length != 3 || parts[0] != StreamCookieVersion) return false;
        if (!long.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var expires))
            return false;
        var expected = Encoding.ASCII.GetBytes(StreamCookieValue(cookieKey, expires));
        // Constant time over the whole value: a forged signature learns nothing from how long the comparison took.
        var presented = Encoding.ASCII.GetBytes(value);
        return CryptographicOperations.FixedTimeEquals(presented, expected) && now.ToUnixTimeSeconds() < expires;
    }

    /// <summary>The key that signs stream cookies: derived from the API key, so the two are never interchangeable.</summary>
    internal static byte[] StreamCookieKey(string apiKey) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(apiKey), 32, info: "bamboo console stream cookie"u8.ToArray());

    internal static string StreamCookieValue(byte[] cookieKey, long expiresUnixSeconds)
    {
        var payload = $"{StreamCookieVersion}.{expiresUnixSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        var signature = HMACSHA256.HashData(cookieKey, Encoding.ASCII.GetBytes(payload));
        return $"{payload}.{System.Buffers.Text.Base64Url.EncodeToString(signature)}";
    }

    private static CookieOptions StreamCookieOptions(HttpContext context, DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = context.Request.IsHttps,
        Path = context.Request.PathBase.Add("/sessions").Value,
        Expires = expires,
        IsEssential = true,
    };

    /// <summary>What needs no key: the probes, the console's static assets and its sign-in state.</summary>
    private static bool IsPublic(HttpRequest request)
    {
        var path = request.Path;
        if (path.Equals("/healthz", StringComparison.Ordinal) || path.Equals("/readyz", StringComparison.Ordinal)) return true;
        var read = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method);
        if (read && (path.Equals("/", StringComparison.Ordinal) || path.StartsWithSegments("/console", StringComparison.Ordinal))) return true;
        return path.Equals("/auth/session", StringComparison.Ordinal) && (HttpMethods.IsGet(request.Method) || HttpMethods.IsDelete(request.Method));
    }

    /// <summary><c>GET /sessions/{id}/events</c>, read from the raw target the way <see cref="SessionPath"/> reads it.</summary>
    private static bool IsEventStream(HttpRequest request)
    {
        if (!HttpMethods.IsGet(request.Method)) return false;
        var raw = request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? request.Path.Value ?? "";
        var segments = SessionPath.Segments(raw);
        return segments.Count == 3
            && segments[0].Equals("sessions", StringComparison.OrdinalIgnoreCase)
            && segments[2].Equals("events", StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsAuthorized(HttpRequest request, byte[] expectedHash)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;
        // Hashes have one length whatever was sent: the comparison takes the same time for every wrong key, and tells
        // nothing about the key's length.
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(presented, expectedHash);
    }
}
