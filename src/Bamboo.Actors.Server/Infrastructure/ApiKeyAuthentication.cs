using System.Net;
using System.Security.Cryptography;
using System.Text;
using Bamboo.Actors.Server.Api;

namespace Bamboo.Actors.Server.Infrastructure;

/// <summary>
/// Bearer API key: with <c>Bamboo:ApiKey</c> set, every endpoint but <c>/healthz</c> needs
/// <c>Authorization: Bearer &lt;key&gt;</c>. Binding to anything but loopback without a key is refused at startup.
/// </summary>
internal static class ApiKeyAuthentication
{
    public const string ConfigurationKey = "Bamboo:ApiKey";

    public static Func<HttpContext, RequestDelegate, Task> Middleware(string apiKey)
    {
        var expected = Encoding.UTF8.GetBytes(apiKey);
        return async (context, next) =>
        {
            if (context.Request.Path.Equals("/healthz", StringComparison.Ordinal) || IsAuthorized(context.Request, expected))
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

    private static bool IsAuthorized(HttpRequest request, byte[] expected)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;
        var presented = Encoding.UTF8.GetBytes(header[scheme.Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(presented, expected);
    }

    private static bool IsLoopback(string url)
    {
        // Kestrel accepts wildcard hosts (*, +) that no Uri parser does: they bind every interface.
        var hostStart = url.IndexOf("://", StringComparison.Ordinal);
        var rest = hostStart < 0 ? url : url[(hostStart + 3)..];
        var host = rest.StartsWith('[') ? rest[..(rest.IndexOf(']') + 1)] : rest.Split(':', '/')[0];
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);
    }
}
