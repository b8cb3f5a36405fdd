using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace Bamboo.Actors.Server.Infrastructure;

/// <summary>
/// The operator console: static HTML, CSS and JavaScript modules from the <c>Console/</c> folder, embedded in this
/// assembly (no files on disk, no CDN, nothing to build). <c>/</c> is the page, <c>/console/*</c> its assets. They
/// hold no data, so they need no API key; the page talks to the public API only and asks for the key when the API
/// wants one.
/// </summary>
internal static class ConsoleAssets
{
    /// <summary>Scripts and styles from this origin only, no inline script, no framing.</summary>
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

    public static IFileProvider Files { get; } = new ManifestEmbeddedFileProvider(typeof(ConsoleAssets).Assembly, "Console");

    public static WebApplication UseConsole(this WebApplication app)
    {
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = Files,
            RequestPath = "/console",
            // Revalidated on every load (ETag / Last-Modified): an upgraded server never serves a stale console.
            OnPrepareResponse = asset => SecurityHeaders(asset.Context.Response, cache: "no-cache"),
        });
        app.MapGet("/", (HttpContext context) =>
        {
            SecurityHeaders(context.Response, cache: "no-cache");
            var page = Files.GetFileInfo("index.html");
            return Results.Stream(page.CreateReadStream(), "text/html; charset=utf-8",
                lastModified: page.LastModified, entityTag: new EntityTagHeaderValue($"\"{page.LastModified.UtcTicks:x}\""));
        });
        return app;
    }

    private static void SecurityHeaders(HttpResponse response, string cache)
    {
        response.Headers.CacheControl = cache;
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
    }
}
