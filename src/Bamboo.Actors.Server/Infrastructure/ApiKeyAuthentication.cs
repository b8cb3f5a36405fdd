using System.Net;
using System.Security.Cryptography;
using System.Text;
using Bamboo.Actors.Server.Api;

namespace Bamboo.Actors.Server.Infrastructure;

/// <summary>
/// Bearer API key: with <c>Bamboo:ApiKey</c> set, every endpoint but <c>/healthz</c> and <c>/readyz</c> needs
/// <c>Authorization: Bearer &lt;key&gt;</c>. Listening on anything but loopback without a key is refused
/// (<see cref="ListenGuardServer"/> checks the addresses actually bound).
/// </summary>
internal static class ApiKeyAuthentication
{
    public const string ConfigurationKey = "Bamboo:ApiKey";

    /// <summary>The configured key, or null when there is none (unset, empty or only whitespace).</summary>
    public static string? ConfiguredKey(IConfiguration configuration) =>
        configuration[ConfigurationKey] is { } key && !string.IsNullOrWhiteSpace(key) ? key : null;

    public static Func<HttpContext, RequestDelegate, Task> Middleware(string apiKey)
    {
        var expected = SHA256.HashData(Encoding.UTF8.GetBytes(apiKey));
        return async (context, next) =>
        {
            if (IsProbe(context.Request.Path) || IsAuthorized(context.Request, expected))
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

    private static bool IsProbe(PathString path) =>
        path.Equals("/healthz", StringComparison.Ordinal) || path.Equals("/readyz", StringComparison.Ordinal);

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
