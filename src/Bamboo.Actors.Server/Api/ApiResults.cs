using Bamboo.Actors.Client;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Server.Api;

/// <summary>The API's JSON answers. Every error is <c>{"error": code, "detail": text}</c> plus context fields.</summary>
internal static class ApiResults
{
    public static IResult Error(int status, string code, string detail) =>
        Results.Json(new ErrorBody(code, detail), ApiJson.Options, statusCode: status);

    public static IResult BadRequest(string code, string detail) => Error(StatusCodes.Status400BadRequest, code, detail);

    public static IResult StaleRun(StaleRun stale) =>
        Results.Json(new RunErrorBody("stale_run", $"run {stale.RunId} is not the session's active run", stale.CurrentRunId),
            ApiJson.Options, statusCode: StatusCodes.Status409Conflict);

    public static IResult AlreadyRunning(string runId) =>
        Results.Json(new RunErrorBody("already_running", "the session already has an active run", runId),
            ApiJson.Options, statusCode: StatusCodes.Status409Conflict);

    /// <summary>422: the idempotency key's first start asked for something else (<paramref name="runId"/> is its run).</summary>
    public static IResult IdempotencyKeyReused(string? runId) =>
        Results.Json(new RunErrorBody("idempotency_key_reused", "this Idempotency-Key was used for a different request", runId),
            ApiJson.Options, statusCode: StatusCodes.Status422UnprocessableEntity);

    /// <summary>A reply nothing else handled: a malformed command is the client's fault (400); anything else is unexpected.</summary>
    public static IResult Unexpected(IRunnerReply reply) => reply switch
    {
        InvalidCommand invalid => BadRequest("invalid_command", invalid.Reason),
        Unavailable unavailable => Unavailable(unavailable.Reason),
        _ => Error(StatusCodes.Status500InternalServerError, "unexpected_reply", reply.GetType().Name),
    };

    /// <summary>503: the session could not record the change, or did not answer in time.</summary>
    public static IResult Unavailable(string? reason) => Error(StatusCodes.Status503ServiceUnavailable, "unavailable",
        reason is null or RunnerClient.NoAnswer ? NoAnswerDetail : reason);

    /// <summary>The detail of a 503 for a session that did not answer in time.</summary>
    public const string NoAnswerDetail = "the session did not answer in time; retry";

    public static SnapshotBody Snapshot(RunnerSnapshot s) => SnapshotBody.Of(s);
}
