using Bamboo.Actors.Client;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Server.Agents;
using Bamboo.Actors.Server.Infrastructure;
using Bamboo.Actors.Server.Sse;
using Microsoft.Extensions.Options;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Server.Api;

/// <summary>The <c>/sessions/{id}/...</c> API. Every handler validates its whole input before consulting any state.</summary>
internal static class SessionEndpoints
{
    private static readonly IReadOnlyDictionary<string, ConflictPolicy> Policies = new Dictionary<string, ConflictPolicy>
    {
        ["reject"] = ConflictPolicy.Reject,
        ["interrupt"] = ConflictPolicy.Interrupt,
        ["enqueue"] = ConflictPolicy.Enqueue,
    };

    private static readonly IReadOnlyDictionary<string, RunStatus> Outcomes = new Dictionary<string, RunStatus>
    {
        ["completed"] = RunStatus.Completed,
        ["cancelled"] = RunStatus.Cancelled,
        ["error"] = RunStatus.Error,
    };

    /// <summary>Longest duration a request may name (<c>durationMs</c>, <c>deadlineMs</c>): a run's longest deadline.</summary>
    private static readonly long MaxDurationMs = (long)RunnerCommandValidator.MaxDeadline.TotalMilliseconds;

    public static IEndpointRouteBuilder MapSessionEndpoints(this IEndpointRouteBuilder app)
    {
        var sessions = app.MapGroup("/sessions/{id}");
        sessions.MapPost("/runs", StartRunAsync);
        sessions.MapPost("/reservations", ReserveAsync);
        sessions.MapPost("/runs/{runId}/events", PublishAsync);
        sessions.MapPost("/runs/{runId}/finalize", FinalizeAsync);
        sessions.MapPost("/cancel", CancelAsync);
        sessions.MapGet("", GetStatusAsync);
        sessions.MapGet("/events", EventsEndpoint.StreamAsync);
        return app;
    }

    /// <summary><c>POST /sessions/{id}/runs</c>: a managed run of a demo agent.</summary>
    private static async Task<IResult> StartRunAsync(HttpContext context, IRunnerClient runners, ServerLifecycle lifecycle,
        IOptions<BambooServerOptions> options)
    {
        var (body, error) = await JsonBody.ReadAsync(context, required: true);
        if (error is not null) return error;
        var agent = body!.OneOf("agent", "unknown_agent", DemoAgents.Names, required: true);
        var input = body.String("input") ?? "";
        var duration = body.Integer("durationMs", max: MaxDurationMs) is { } ms ? TimeSpan.FromMilliseconds(ms) : options.Value.DefaultSleep;
        var policy = body.OneOf("onConflict", "unknown_policy", Policies) ?? ConflictPolicy.Reject;
        if (body.Error is not null) return body.Error;
        if (!lifecycle.AcceptingRuns) return ShuttingDown();

        var sessionId = context.SessionId();
        var lease = await runners.StartAsync(sessionId, DemoAgents.Create(agent!, input, duration),
            new ReserveOptions { OnConflict = policy }, context.RequestAborted);
        return lease.Status switch
        {
            LeaseStatus.Active => Results.Json(new { sessionId, runId = lease.RunId, status = "running" }, ApiJson.Options, statusCode: 202),
            LeaseStatus.Queued => Results.Json(new { sessionId, runId = lease.RunId, status = "queued", position = lease.QueuePosition },
                ApiJson.Options, statusCode: 202),
            LeaseStatus.AlreadyRunning => ApiResults.AlreadyRunning(lease.RunId!),
            LeaseStatus.Rejected => ApiResults.Error(409, lease.Reason ?? "rejected", "the run was not accepted"),
            LeaseStatus.Unavailable => ApiResults.Unavailable(lease.Reason),
            _ => ApiResults.BadRequest("invalid_command", lease.Reason ?? "invalid reservation"),
        };
    }

    /// <summary><c>POST /sessions/{id}/reservations</c>: an external worker reserves a run it will drive over HTTP.</summary>
    private static async Task<IResult> ReserveAsync(HttpContext context, IRunnerClient runners, ServerLifecycle lifecycle,
        IOptions<BambooServerOptions> options)
    {
        var (body, error) = await JsonBody.ReadAsync(context, required: false);
        if (error is not null) return error;
        var policy = body!.OneOf("onConflict", "unknown_policy", Policies) ?? ConflictPolicy.Reject;
        var deadlineMs = body.Integer("deadlineMs", min: 1, max: MaxDurationMs);
        if (body.Error is not null) return body.Error;
        if (!lifecycle.AcceptingRuns) return ShuttingDown();

        var sessionId = context.SessionId();
        // A worker that vanishes cannot finalize: the deadline is what ends its run.
        var deadline = deadlineMs is { } ms ? TimeSpan.FromMilliseconds(ms) : options.Value.ReservationDeadline;
        var reply = await runners.ReserveExternalAsync(sessionId, new ReserveOptions { OnConflict = policy, Deadline = deadline },
            context.RequestAborted);
        return reply switch
        {
            Reserved r => Results.Json(new { sessionId, runId = r.RunId, status = "running" }, ApiJson.Options, statusCode: 201),
            Queued q => Results.Json(new { sessionId, runId = q.RunId, status = "queued", position = q.Position }, ApiJson.Options, statusCode: 202),
            AlreadyRunning a => ApiResults.AlreadyRunning(a.RunId),
            Rejected r => ApiResults.Error(409, r.Reason, "the reservation was not accepted"),
            _ => ApiResults.Unexpected(reply),
        };
    }

    /// <summary><c>POST /sessions/{id}/runs/{runId}/events</c>: a worker's progress event, which doubles as its heartbeat.</summary>
    private static async Task<IResult> PublishAsync(HttpContext context, string runId, IRunnerClient runners)
    {
        var (body, error) = await JsonBody.ReadAsync(context, required: true);
        if (error is not null) return error;
        var evt = EventJson.Read(body!);
        if (body!.Error is not null) return body.Error;

        // The supervisor validates the command (run id, event) before any session sees it: InvalidCommand is a 400.
        var reply = await runners.PublishAsync(context.SessionId(), runId, evt!, context.RequestAborted);
        return reply switch
        {
            Published p => Results.Json(new { sequence = p.Sequence, cancelRequested = p.CancelRequested }, ApiJson.Options, statusCode: 202),
            StaleRun stale => ApiResults.StaleRun(stale),
            _ => ApiResults.Unexpected(reply),
        };
    }

    /// <summary><c>POST /sessions/{id}/runs/{runId}/finalize</c>.</summary>
    private static async Task<IResult> FinalizeAsync(HttpContext context, string runId, IRunnerClient runners)
    {
        var (body, error) = await JsonBody.ReadAsync(context, required: true);
        if (error is not null) return error;
        var outcome = body!.OneOf("outcome", "unknown_outcome", Outcomes, required: true);
        var message = body.String("error");
        if (body.Error is not null) return body.Error;
        var reply = await runners.FinalizeAsync(context.SessionId(), runId, RunOutcome.Of(outcome!.Value, message ?? "worker reported an error"),
            context.RequestAborted);
        return reply switch
        {
            Finalized f => Results.Json(new { sessionId = f.SessionId, runId = f.RunId, status = f.Status.ToWire(), error = f.Error },
                ApiJson.Options),
            StaleRun stale => ApiResults.StaleRun(stale),
            AlreadyFinalized a => Results.Json(new { error = "already_finalized", detail = "the run has already ended", status = a.Status.ToWire() },
                ApiJson.Options, statusCode: 409),
            _ => ApiResults.Unexpected(reply),
        };
    }

    /// <summary><c>POST /sessions/{id}/cancel</c>: cancel the active run, or the given (possibly queued) run.</summary>
    private static async Task<IResult> CancelAsync(HttpContext context, IRunnerClient runners)
    {
        var (body, error) = await JsonBody.ReadAsync(context, required: false);
        if (error is not null) return error;
        var runId = body!.String("runId");
        var reason = body.String("reason");
        if (body.Error is not null) return body.Error;
        var reply = await runners.CancelAsync(context.SessionId(), runId, reason ?? "cancelled over HTTP", context.RequestAborted);
        return reply switch
        {
            CancelRequested c => Results.Json(new { runId = c.RunId, status = "cancelling" }, ApiJson.Options, statusCode: 202),
            NothingToCancel => ApiResults.Error(409, "not_running", "the session has no active run"),
            StaleRun stale => ApiResults.StaleRun(stale),
            _ => ApiResults.Unexpected(reply),
        };
    }

    /// <summary><c>GET /sessions/{id}</c>: the session's diagnostics; 404 for a session that has never been used.</summary>
    private static async Task<IResult> GetStatusAsync(HttpContext context, IRunnerClient runners)
    {
        var reply = await runners.GetStatusAsync(context.SessionId(), context.RequestAborted);
        if (reply is not RunnerSnapshot snapshot) return ApiResults.Unexpected(reply);
        var unknown = snapshot is { Status: RunStatus.Pending, LastSequence: 0, SubscriberCount: 0, QueueLength: 0 };
        return unknown
            ? ApiResults.Error(404, "unknown_session", "the session has no runs and no subscribers")
            : Results.Json(ApiResults.Snapshot(snapshot), ApiJson.Options);
    }

    private static IResult ShuttingDown() =>
        ApiResults.Error(StatusCodes.Status503ServiceUnavailable, "shutting_down", "the server is shutting down and accepts no new runs");
}
