using Bamboo.Actors.Server.Api;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Bamboo.Actors.Server.Overview;

/// <summary><c>GET /overview</c>: runs active, runs started and ended per minute over the last hour, the cluster.</summary>
internal static class OverviewEndpoint
{
    public static IEndpointRouteBuilder MapOverview(this IEndpointRouteBuilder app)
    {
        app.MapGet("/overview", ReadAsync);
        return app;
    }

    private static async Task<JsonHttpResult<OverviewResponse>> ReadAsync(HttpContext context, RunActivity activity, ClusterState cluster,
        TimeProvider time)
    {
        var runs = activity.Read();
        long started = 0, completed = 0, cancelled = 0, failed = 0;
        foreach (var minute in runs.Minutes)
        {
            started += minute.Started;
            completed += minute.Completed;
            cancelled += minute.Cancelled;
            failed += minute.Failed;
        }
        var ended = completed + cancelled + failed;
        var overview = new OverviewResponse(
            time.GetUtcNow(),
            cluster.SelfAddress,
            runs.RunsActive,
            new HourTotals(started, completed, cancelled, failed, ended == 0 ? null : (double)failed / ended),
            runs.Minutes,
            await cluster.ReadAsync());
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Json(overview, ApiJson.Options);
    }
}
