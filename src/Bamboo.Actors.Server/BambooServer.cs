using Microsoft.Extensions.DependencyInjection.Extensions;
using Akka.Hosting;
using Bamboo.Actors.Diagnostics;
using Bamboo.Actors.Hosting;
using Bamboo.Actors.Server.Api;
using Bamboo.Actors.Server.Infrastructure;
using Bamboo.Actors.Server.Overview;
using Microsoft.AspNetCore.Diagnostics;
using OpenTelemetry.Metrics;

namespace Bamboo.Actors.Server;

/// <summary>Builds the HTTP server: <c>dotnet run --project src/Bamboo.Actors.Server</c>, or in-process for tests.</summary>
public static class BambooServer
{
    /// <summary>The ActorSystem's name; cluster seed addresses name it (<c>akka.tcp://bamboo@host:port</c>).</summary>
    public const string ActorSystemName = "bamboo";

    /// <summary>Where the server listens unless <c>--urls</c> or <c>ASPNETCORE_URLS</c> say otherwise.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>Creates the application from command-line arguments (and appsettings, environment <c>Bamboo__*</c>).</summary>
    /// <exception cref="UnprotectedListenException">Asked to listen beyond loopback without an API key (the same
    /// exception comes from starting the application when the addresses it bound are not all loopback).</exception>
    public static WebApplication Create(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (string.IsNullOrWhiteSpace(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
            builder.WebHost.UseUrls(DefaultUrl);
        var urls = (builder.Configuration[WebHostDefaults.ServerUrlsKey] ?? DefaultUrl).Split(';', StringSplitOptions.RemoveEmptyEntries);
        var apiKey = ApiKeyAuthentication.ConfiguredKey(builder.Configuration);
        // The early answer for the common case, before anything starts. The rule itself is enforced on the addresses
        // actually bound (ListenGuardServer), which also covers Kestrel:Endpoints, HTTP_PORTS and the like.
        if (apiKey is null && !ApiKeyAuthentication.AllLoopback(urls))
        {
            throw new UnprotectedListenException(
                $"Refusing to listen on {string.Join(", ", urls)} without an API key: set {ApiKeyAuthentication.ConfigurationKey} " +
                "(environment Bamboo__ApiKey) or bind to a loopback address.");
        }

        AddServices(builder);
        ListenGuardServer.Decorate(builder.Services, apiKeyConfigured: apiKey is not null);
        var app = builder.Build();
        UsePipeline(app, apiKey);
        WarnAboutClusterStorage(app);
        return app;
    }

    private static void AddServices(WebApplicationBuilder builder)
    {
        var serverSection = builder.Configuration.GetSection(BambooServerOptions.SectionName);
        builder.Services.Configure<BambooServerOptions>(serverSection);
        var serverOptions = serverSection.Get<BambooServerOptions>() ?? new BambooServerOptions();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = serverOptions.MaxBodyBytes;
            // Header values that are not ASCII reach the application (as Latin-1), so a malformed Idempotency-Key is
            // answered with the API's JSON error rather than a bare 400 from the connection.
            kestrel.RequestHeaderEncodingSelector = _ => System.Text.Encoding.Latin1;
        });
        builder.Services.AddOpenApi(openApi => openApi.AddDocumentTransformer<OpenApiDocumentation>().AddOperationTransformer<OpenApiDocumentation>());

        // Cluster mode by configuration only (Bamboo:Cluster:Seeds, Hostname, Port): sessions become sharded entities.
        var cluster = builder.Configuration.GetSection(BambooClusterOptions.SectionName).Get<BambooClusterOptions>() ?? new BambooClusterOptions();

        builder.Services.AddSingleton<ServerLifecycle>();
        builder.Services.AddSingleton<ReadinessProbe>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<RunActivity>();
        builder.Services.AddSingleton<ClusterState>();
        builder.Services.AddAkka(ActorSystemName, (akka, sp) => akka
            .ConfigureLoggers(loggers =>
            {
                loggers.ClearLoggers();
                loggers.AddLoggerFactory();
            })
            .WithBambooCluster(cluster)
            .WithBambooRunners(builder.Configuration, options => options.Sharded = cluster.IsEnabled)
            .AddStartup((system, _) => sp.GetRequiredService<ServerLifecycle>()
                .Register(system, sp.GetRequiredService<IHostApplicationLifetime>())));
        builder.Services.AddBambooRunnerClient();
        // CoordinatedShutdown drains runs for up to the shutdown grace (10 s by default): let the host wait for it.
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(30));

        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(BambooMetrics.MeterName)
            // The runtime's own instruments (GC heap after the last collection, working set, threads, lock contention).
            .AddMeter("System.Runtime")
            .AddAspNetCoreInstrumentation()
            .AddPrometheusExporter());
    }

    /// <summary>Every node of a cluster must share one store; SQLite does that only for nodes on one machine.</summary>
    private static void WarnAboutClusterStorage(WebApplication app)
    {
        var cluster = app.Configuration.GetSection(BambooClusterOptions.SectionName).Get<BambooClusterOptions>() ?? new BambooClusterOptions();
        var persistence = app.Configuration.GetSection("Bamboo:Persistence").Get<BambooPersistenceOptions>() ?? new BambooPersistenceOptions();
        if (cluster.IsEnabled && persistence.Mode == BambooPersistenceMode.Sqlite)
        {
            app.Logger.LogWarning(
                "Cluster mode with SQLite at {Database}: every node must use this same file (nodes on one machine only). " +
                "Set Bamboo:Persistence:Mode=PostgreSql for nodes on several machines", persistence.EffectiveConnectionString);
        }
    }

    private static void UsePipeline(WebApplication app, string? apiKey)
    {
        // The client answers "unavailable" as a value (503 in the endpoints); a timeout thrown by anything else is 503 too.
        // Any other 5xx is a bug, and still answers JSON.
        app.UseExceptionHandler(errors => errors.Run(context =>
        {
            var problem = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            var result = problem switch
            {
                TimeoutException or Akka.Actor.AskTimeoutException => ApiResults.Unavailable(null),
                // The request itself was malformed at the HTTP level (its body broke off, a chunk was invalid).
                BadHttpRequestException bad => ApiResults.Error(bad.StatusCode, bad.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? "payload_too_large" : "bad_request", bad.Message),
                _ => ApiResults.Error(StatusCodes.Status500InternalServerError, "internal_error", problem?.Message ?? "unexpected error"),
            };
            return result.ExecuteAsync(context);
        }));
        // Every 4xx that routing or Kestrel produces without a body (404, 405, ...) gets the JSON error body.
        app.UseStatusCodePages(async pages =>
        {
            var response = pages.HttpContext.Response;
            var (code, detail) = response.StatusCode switch
            {
                404 => ("not_found", "no such endpoint"),
                405 => ("method_not_allowed", $"{pages.HttpContext.Request.Method} is not served on this path"),
                413 => ("payload_too_large", "the request body is too large"),
                415 => ("unsupported_media_type", "the body must be application/json"),
                _ => ("http_error", $"HTTP {response.StatusCode}"),
            };
            await ApiResults.Error(response.StatusCode, code, detail).ExecuteAsync(pages.HttpContext);
        });
        if (apiKey is not null) app.Use(ApiKeyAuthentication.Middleware(apiKey));
        app.Use(SessionPath.Middleware);

        app.MapGet("/healthz", () => Results.Json(new HealthBody("ok"), ApiJson.Options))
            .Produces<HealthBody>().WithSummary("Liveness: the process answers");
        app.Lifetime.ApplicationStarted.Register(() => app.Services.GetRequiredService<ReadinessProbe>().Warm());
        app.MapGet("/readyz", async (HttpContext context, ReadinessProbe readiness) =>
        {
            var checks = await readiness.CheckAsync();
            context.Response.Headers.CacheControl = "no-store";
            var ready = checks.Values.All(answer => answer == ReadinessProbe.Ok);
            return Results.Json(new ReadinessBody(checks), ApiJson.Options, statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        }).Produces<ReadinessBody>().Produces<ReadinessBody>(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Readiness: the actor system runs, the node is an Up member, the journal answers");
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapOpenApi();
        app.MapSessionEndpoints();
        // The operator console (/ and /console/*), its sign-in and its overview.
        app.UseConsole();
        app.MapAuthEndpoints(apiKey);
        app.MapOverview();
        // Counting starts with the server, not with the first look at the overview.
        app.Services.GetRequiredService<RunActivity>();
    }
}
