using System.Globalization;
using System.Text.Json;
using Bamboo.Actors.Client;
using Bamboo.Actors.History;
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

    /// <summary>The request header of idempotent starts.</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>The longest wait <c>GET …/wait</c> accepts, and the default.</summary>
    private const int MaxWaitMs = 60_000, DefaultWaitMs = 30_000;

    public static IEndpointRouteBuilder MapSessionEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/sessions", ListSessionsAsync)
            .Produces<SessionPageBody>()
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Sessions from the read model, newest activity first");

        var sessions = app.MapGroup("/sessions/{id}");
        sessions.MapPost("/runs", StartRunAsync)
            .Accepts<StartRunRequest>("application/json")
            .Produces<RunAccepted>(StatusCodes.Status202Accepted)
            .Produces<RunErrorBody>(StatusCodes.Status409Conflict).Produces<RunErrorBody>(StatusCodes.Status422UnprocessableEntity)
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Start a managed run of a demo agent (header Idempotency-Key makes retries safe)");
        sessions.MapPost("/reservations", ReserveAsync)
            .Accepts<ReservationRequest>("application/json")
            .Produces<RunAccepted>(StatusCodes.Status201Created).Produces<RunAccepted>(StatusCodes.Status202Accepted)
            .Produces<RunErrorBody>(StatusCodes.Status409Conflict).Produces<RunErrorBody>(StatusCodes.Status422UnprocessableEntity)
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Reserve a run for an external worker (header Idempotency-Key makes retries safe)");
        sessions.MapGet("/runs", ListRunsAsync)
            .Produces<RunPageBody>()
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("The session's runs from the read model, newest first");
        sessions.MapGet("/runs/{runId}", GetRunAsync)
            .Produces<RunRecordBody>()
            .Produces<ErrorBody>(StatusCodes.Status404NotFound).Produces<ErrorBody>(StatusCodes.Status400BadRequest)
            .Produces<ErrorBody>(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("A run's record (strongly consistent for the session's current run)");
        sessions.MapGet("/runs/{runId}/wait", WaitForRunAsync)
            .Produces<RunRecordBody>().Produces<RunRecordBody>(StatusCodes.Status202Accepted)
            .Produces<ErrorBody>(StatusCodes.Status404NotFound).Produces<ErrorBody>(StatusCodes.Status400BadRequest)
            .Produces<ErrorBody>(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Wait until the run ends: 200 with its record, or 202 with the record as it is at the timeout");
        sessions.MapPost("/runs/{runId}/events", PublishAsync)
            .Accepts<EventRequest>("application/json")
            .Produces<EventAccepted>(StatusCodes.Status202Accepted).Produces<RunErrorBody>(StatusCodes.Status409Conflict)
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("A worker's progress event (doubles as its heartbeat)");
        sessions.MapPost("/runs/{runId}/heartbeat", HeartbeatAsync)
            .Produces<HeartbeatAccepted>(StatusCodes.Status202Accepted).Produces<RunErrorBody>(StatusCodes.Status409Conflict)
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("A worker says it is alive");
        sessions.MapPost("/runs/{runId}/finalize", FinalizeAsync)
            .Accepts<FinalizeRequest>("application/json")
            .Produces<FinalizedBody>().Produces<RunErrorBody>(StatusCodes.Status409Conflict)
            .Produces<AlreadyFinalizedBody>(StatusCodes.Status409Conflict)
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("A worker ends its run, optionally with an output");
        sessions.MapPost("/cancel", CancelAsync)
            .Accepts<CancelRequest>("application/json")
            .Produces<CancellingBody>(StatusCodes.Status202Accepted).Produces<RunErrorBody>(StatusCodes.Status409Conflict)
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Cancel the active run, or a given (possibly queued) run");
        sessions.MapGet("", GetStatusAsync)
            .Produces<SnapshotBody>().Produces<ErrorBody>(StatusCodes.Status404NotFound)
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("The session's live diagnostics");
        sessions.MapDelete("", DeleteAsync)
            .Produces(StatusCodes.Status204NoContent).Produces<RunErrorBody>(StatusCodes.Status409Conflict)
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Delete the session's history (not while it has a run: 409 session_busy)");
        sessions.MapGet("/events", EventsEndpoint.StreamAsync)
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("The session's events as Server-Sent Events (Last-Event-ID or ?after= to resume)");
        return app;
    }

    /// <summary><c>POST /sessions/{id}/runs</c>: a managed run of a demo agent.</summary>
    private static async Task<IResult> StartRunAsync(HttpContext context, IRunnerClient runners, ServerLifecycle lifecycle,
        IOptions<BambooServerOptions> options)
    {
        var (body, error) = await JsonBody.ReadAsync(context, required: true);
        if (error is not null) return error;
        var agent = body!.OneOf("agent", "unknown_agent", DemoAgents.Names, required: true);
        var input = body.String("input");
        var duration = body.Integer("durationMs", max: MaxDurationMs) is { } ms ? TimeSpan.FromMilliseconds(ms) : options.Value.DefaultSleep;
        var policy = body.OneOf("onConflict", "unknown_policy", Policies) ?? ConflictPolicy.Reject;
        if (body.Error is not null) return body.Error;
        var (key, keyError) = IdempotencyKey(context);
        if (keyError is not null) return keyError;
        if (!lifecycle.AcceptingRuns) return ShuttingDown();

        var sessionId = context.SessionId();
        var reserve = new ReserveOptions
        {
            OnConflict = policy,
            Agent = agent,
            Metadata = input is null ? null : JsonSerializer.Serialize(input),
            IdempotencyKey = key,
        };
        var lease = await runners.StartAsync(sessionId, DemoAgents.Create(agent!, input ?? "", duration), reserve, context.RequestAborted);
        return lease.Status switch
        {
            LeaseStatus.Active => Accepted(sessionId, lease.RunId!, null, StatusCodes.Status202Accepted),
            LeaseStatus.Queued or LeaseStatus.Duplicate => Accepted(sessionId, lease.RunId!, lease.QueuePosition, StatusCodes.Status202Accepted),
            LeaseStatus.AlreadyRunning => ApiResults.AlreadyRunning(lease.RunId!),
            LeaseStatus.Rejected when lease.Reason == IdempotencyKeyReused => ApiResults.IdempotencyKeyReused(lease.RunId),
            LeaseStatus.Rejected => ApiResults.Error(409, lease.Reason ?? "rejected", "the run was not accepted"),
            LeaseStatus.Unavailable => ApiResults.Unavailable(lease.Reason),
            _ => ApiResults.BadRequest("invalid_command", lease.Reason ?? "invalid reservation"),
        };
    }

    /// <summary>The reason of a start whose idempotency key named another request.</summary>
    private const string IdempotencyKeyReused = "idempotency_key_reused";

    private static IResult Accepted(string sessionId, string runId, int? position, int status) =>
        Results.Json(new RunAccepted(sessionId, runId, position is null ? "running" : "queued", position), ApiJson.Options, statusCode: status);

    /// <summary><c>POST /sessions/{id}/reservations</c>: an external worker reserves a run it will drive over HTTP.</summary>
    private static async Task<IResult> ReserveAsync(HttpContext context, IRunnerClient runners, ServerLifecycle lifecycle,
        IOptions<BambooServerOptions> options)
    {
        var (body, error) = await JsonBody.ReadAsync(context, required: false);
        if (error is not null) return error;
        var policy = body!.OneOf("onConflict", "unknown_policy", Policies) ?? ConflictPolicy.Reject;
        var deadlineMs = body.Integer("deadlineMs", min: 1, max: MaxDurationMs);
        var heartbeatMs = body.Integer("heartbeatTimeoutMs", min: 1, max: MaxDurationMs);
        var metadata = body.Object("metadata")?.GetRawText();
        if (body.Error is null && RunnerCommandValidator.Json(metadata, "metadata") is { } tooLarge) body.Fail("invalid_metadata", tooLarge);
        if (body.Error is not null) return body.Error;
        var (key, keyError) = IdempotencyKey(context);
        if (keyError is not null) return keyError;
        if (!lifecycle.AcceptingRuns) return ShuttingDown();

        var sessionId = context.SessionId();
        // A worker that vanishes cannot finalize: the deadline is what ends its run.
        var deadline = deadlineMs is { } ms ? TimeSpan.FromMilliseconds(ms) : options.Value.ReservationDeadline;
        var reserve = new ReserveOptions
        {
            OnConflict = policy,
            Deadline = deadline,
            HeartbeatTimeout = heartbeatMs is { } hb ? TimeSpan.FromMilliseconds(hb) : null,
            Metadata = metadata,
            IdempotencyKey = key,
        };
        var reply = await runners.ReserveExternalAsync(sessionId, reserve, context.RequestAborted);
        return reply switch
        {
            Reserved r => Accepted(sessionId, r.RunId, null, StatusCodes.Status201Created),
            Queued q => Accepted(sessionId, q.RunId, q.Position, StatusCodes.Status202Accepted),
            AlreadyRunning a => ApiResults.AlreadyRunning(a.RunId),
            Rejected { Reason: IdempotencyKeyReused } r => ApiResults.IdempotencyKeyReused(r.RunId),
            Rejected r => ApiResults.Error(409, r.Reason, "the reservation was not accepted"),
            _ => ApiResults.Unexpected(reply),
        };
    }

    /// <summary>The request's <c>Idempotency-Key</c> (null when it has none), or the 400 for a malformed one.</summary>
    private static (string? Key, IResult? Error) IdempotencyKey(HttpContext context)
    {
        var values = context.Request.Headers[IdempotencyKeyHeader];
        if (values.Count == 0) return (null, null);
        if (values.Count > 1) return (null, ApiResults.BadRequest("invalid_idempotency_key", "send one Idempotency-Key header"));
        var key = values[0] ?? "";
        return RunnerCommandValidator.IdempotencyKey(key) is { } problem
            ? (null, ApiResults.BadRequest("invalid_idempotency_key", problem))
            : (key, null);
    }

    /// <summary><c>GET /sessions?status=&amp;cursor=&amp;limit=</c>.</summary>
    private static async Task<IResult> ListSessionsAsync(HttpContext context, IRunnerClient runners, string? status, string? cursor, string? limit)
    {
        var (query, error) = ListQuery(context, cursor => HistoryCursor.ParseSessions(cursor) is not null);
        if (error is not null) return error;
        var reply = await runners.ListSessionsAsync(query.Status, query.Cursor, query.Limit, context.RequestAborted);
        return reply is SessionPage page
            ? Results.Json(new SessionPageBody(page.Items.Select(SessionSummaryBody.Of).ToList(), page.NextCursor), ApiJson.Options)
            : ApiResults.Unexpected(reply);
    }

    /// <summary><c>GET /sessions/{id}/runs?status=&amp;cursor=&amp;limit=</c>.</summary>
    private static async Task<IResult> ListRunsAsync(HttpContext context, IRunnerClient runners, string? status, string? cursor, string? limit)
    {
        var sessionId = context.SessionId();
        var (query, error) = ListQuery(context, cursor => HistoryCursor.ParseRuns(cursor, sessionId) is not null);
        if (error is not null) return error;
        var reply = await runners.ListRunsAsync(sessionId, query.Status, query.Cursor, query.Limit, context.RequestAborted);
        return reply is RunPage page
            ? Results.Json(new RunPageBody(page.Items.Select(RunRecordBody.Of).ToList(), page.NextCursor), ApiJson.Options)
            : ApiResults.Unexpected(reply);
    }

    /// <summary>The query of a list (<c>status</c>, <c>cursor</c>, <c>limit</c>), or the 400 for the first malformed
    /// parameter.</summary>
    private static ((RunStatus? Status, string? Cursor, int Limit) Query, IResult? Error) ListQuery(HttpContext context, Func<string, bool> validCursor)
    {
        var query = context.Request.Query;
        RunStatus? status = null;
        if (Single(query, "status") is var (statusText, statusError) && statusError is not null) return (default, statusError);
        if (statusText is not null)
        {
            if (!HistoryQueries.Statuses.TryGetValue(statusText, out var parsed))
                return (default, ApiResults.BadRequest("unknown_status", $"'status' must be one of {string.Join(", ", HistoryQueries.Statuses.Keys)}"));
            status = parsed;
        }
        if (Single(query, "cursor") is var (cursor, cursorError) && cursorError is not null) return (default, cursorError);
        if (cursor is not null && !validCursor(cursor))
            return (default, ApiResults.BadRequest("invalid_cursor", HistoryQueries.InvalidCursor));
        var limit = HistoryQueries.DefaultLimit;
        if (Single(query, "limit") is var (limitText, limitError) && limitError is not null) return (default, limitError);
        if (limitText is not null
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > HistoryQueries.MaxLimit))
            return (default, ApiResults.BadRequest("invalid_limit", $"'limit' must be an integer from 1 to {HistoryQueries.MaxLimit}"));
        return ((status, cursor, limit), null);
    }

    /// <summary>A query parameter given at most once.</summary>
    private static (string? Value, IResult? Error) Single(IQueryCollection query, string name)
    {
        var values = query[name];
        return values.Count switch
        {
            0 => (null, null),
            1 => (values[0], null),
            _ => (null, ApiResults.BadRequest("invalid_query", $"'{name}' is given more than once")),
        };
    }

    /// <summary><c>GET /sessions/{id}/runs/{runId}</c>.</summary>
    private static async Task<IResult> GetRunAsync(HttpContext context, string runId, IRunnerClient runners)
    {
        if (!IsUuid(runId)) return InvalidRunId();
        var reply = await runners.GetRunAsync(context.SessionId(), runId, context.RequestAborted);
        return reply switch
        {
            RunRecord record => Results.Json(RunRecordBody.Of(record), ApiJson.Options),
            UnknownRun => UnknownRunResult(),
            _ => ApiResults.Unexpected(reply),
        };
    }

    /// <summary><c>GET /sessions/{id}/runs/{runId}/wait?timeoutMs=</c>: 200 once the run has ended, 202 at the timeout.</summary>
    private static async Task<IResult> WaitForRunAsync(HttpContext context, string runId, IRunnerClient runners, string? timeoutMs)
    {
        if (!IsUuid(runId)) return InvalidRunId();
        var (text, error) = Single(context.Request.Query, "timeoutMs");
        if (error is not null) return error;
        var wait = DefaultWaitMs;
        if (text is not null && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out wait) || wait > MaxWaitMs))
            return ApiResults.BadRequest("invalid_timeout", $"'timeoutMs' must be an integer from 0 to {MaxWaitMs}");
        var reply = await runners.WaitForRunAsync(context.SessionId(), runId, TimeSpan.FromMilliseconds(wait), context.RequestAborted);
        return reply switch
        {
            RunRecord record => Results.Json(RunRecordBody.Of(record), ApiJson.Options,
                statusCode: record.Status.IsTerminal() ? StatusCodes.Status200OK : StatusCodes.Status202Accepted),
            UnknownRun => UnknownRunResult(),
            _ => ApiResults.Unexpected(reply),
        };
    }

    private static bool IsUuid(string runId) => Guid.TryParseExact(runId, "D", out _);

    private static IResult InvalidRunId() => ApiResults.BadRequest("invalid_run_id", "the run id must be a UUID");

    private static IResult UnknownRunResult() => ApiResults.Error(StatusCodes.Status404NotFound, "unknown_run", "the session has no such run");

    /// <summary><c>POST /sessions/{id}/runs/{runId}/heartbeat</c>: answered like an event post, with no event.</summary>
    private static async Task<IResult> HeartbeatAsync(HttpContext context, string runId, IRunnerClient runners)
    {
        var reply = await runners.HeartbeatAsync(context.SessionId(), runId, context.RequestAborted);
        return reply switch
        {
            Published p => Results.Json(new HeartbeatAccepted(p.CancelRequested), ApiJson.Options, statusCode: StatusCodes.Status202Accepted),
            StaleRun stale => ApiResults.StaleRun(stale),
            _ => ApiResults.Unexpected(reply),
        };
    }

    /// <summary><c>DELETE /sessions/{id}</c>: 204, or 409 while the session has a run.</summary>
    private static async Task<IResult> DeleteAsync(HttpContext context, IRunnerClient runners)
    {
        var reply = await runners.DeleteSessionAsync(context.SessionId(), context.RequestAborted);
        return reply switch
        {
            SessionDeleted => Results.NoContent(),
            Rejected rejected => Results.Json(new RunErrorBody("session_busy", "the session has an active or queued run", rejected.RunId),
                ApiJson.Options, statusCode: StatusCodes.Status409Conflict),
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
            Published p => Results.Json(new EventAccepted(p.Sequence, p.CancelRequested), ApiJson.Options, statusCode: 202),
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
        var output = body.Value("output")?.GetRawText();
        if (body.Error is null && RunnerCommandValidator.Json(output, "output") is { } tooLarge) body.Fail("invalid_output", tooLarge);
        if (body.Error is not null) return body.Error;
        var reply = await runners.FinalizeAsync(context.SessionId(), runId, RunOutcome.Of(outcome!.Value, message ?? "worker reported an error"),
            output, context.RequestAborted);
        return reply switch
        {
            Finalized f => Results.Json(new FinalizedBody(f.SessionId, f.RunId, f.Status.ToWire(), f.Error), ApiJson.Options),
            StaleRun stale => ApiResults.StaleRun(stale),
            AlreadyFinalized a => Results.Json(new AlreadyFinalizedBody("already_finalized", "the run has already ended", a.Status.ToWire()),
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
            CancelRequested c => Results.Json(new CancellingBody(c.RunId, "cancelling"), ApiJson.Options, statusCode: 202),
            NothingToCancel => ApiResults.Error(409, "not_running", "the session has no active run"),
            StaleRun stale => ApiResults.StaleRun(stale),
            _ => ApiResults.Unexpected(reply),
        };
    }

    /// <summary><c>GET /sessions/{id}</c>: the session's diagnostics; 404 for a session never used, or deleted.</summary>
    private static async Task<IResult> GetStatusAsync(HttpContext context, IRunnerClient runners)
    {
        var reply = await runners.GetStatusAsync(context.SessionId(), context.RequestAborted);
        if (reply is not RunnerSnapshot snapshot) return ApiResults.Unexpected(reply);
        // Never used, or deleted (its numbering goes on, so its last sequence is no sign of use).
        var unknown = snapshot is { Status: RunStatus.Pending, RunId: null, SubscriberCount: 0, QueueLength: 0 };
        return unknown
            ? ApiResults.Error(404, "unknown_session", "the session has no runs and no subscribers")
            : Results.Json(ApiResults.Snapshot(snapshot), ApiJson.Options);
    }

    private static IResult ShuttingDown() =>
        ApiResults.Error(StatusCodes.Status503ServiceUnavailable, "shutting_down", "the server is shutting down and accepts no new runs");
}
