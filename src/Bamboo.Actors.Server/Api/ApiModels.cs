using System.Text.Json;
using System.Text.Json.Serialization;
using Bamboo.Actors.History;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Server.Api;

// The API's request and response bodies, as records: what the handlers write, and what the OpenAPI document describes.
// Requests are read field by field by JsonBody (so every kind of bad input gets its own error code); their records here
// name the fields and types the document shows.

/// <summary>Every 4xx and 5xx: a stable code and a human-readable detail.</summary>
public sealed record ErrorBody(string Error, string Detail);

/// <summary>An error about a run: <c>stale_run</c> (the session's current run), <c>already_running</c> (the active run),
/// <c>idempotency_key_reused</c> (the run the key's first start created).</summary>
public sealed record RunErrorBody(string Error, string Detail, string? RunId);

/// <summary><c>409 already_finalized</c>: the run had already ended with <paramref name="Status"/>.</summary>
public sealed record AlreadyFinalizedBody(string Error, string Detail, string Status);

/// <summary><c>POST /sessions/{id}/runs</c>: a managed run of a demo agent.</summary>
/// <param name="Agent"><c>echo</c>, <c>sleep</c> or <c>fail</c>.</param>
/// <param name="Input">The agent's input (kept in the run's record).</param>
/// <param name="DurationMs">How long <c>sleep</c> sleeps.</param>
/// <param name="OnConflict"><c>reject</c> (default), <c>interrupt</c> or <c>enqueue</c>.</param>
public sealed record StartRunRequest(string Agent, string? Input, long? DurationMs, string? OnConflict);

/// <summary><c>POST /sessions/{id}/reservations</c>: an external worker reserves a run.</summary>
/// <param name="OnConflict"><c>reject</c> (default), <c>interrupt</c> or <c>enqueue</c>.</param>
/// <param name="DeadlineMs">The run's maximum duration.</param>
/// <param name="HeartbeatTimeoutMs">A worker silent for this long has its run ended as <c>error: heartbeat timeout</c>.</param>
/// <param name="Metadata">An object kept in the run's record as its input.</param>
public sealed record ReservationRequest(string? OnConflict, long? DeadlineMs, long? HeartbeatTimeoutMs, JsonElement? Metadata);

/// <summary><c>POST /sessions/{id}/runs/{runId}/events</c>: a progress event.</summary>
/// <param name="Type"><c>token_delta</c>, <c>tool_started</c>, <c>tool_lifecycle</c>, <c>runner_progress</c> or <c>token_budget</c>.</param>
/// <param name="Text">token_delta's text.</param>
/// <param name="ToolName">The tool of tool_started and tool_lifecycle.</param>
/// <param name="Phase">tool_lifecycle's phase: <c>begin</c>, <c>finished</c> or <c>error</c>.</param>
/// <param name="RoundCount">runner_progress's round count.</param>
/// <param name="Used">token_budget's tokens used.</param>
/// <param name="Limit">token_budget's limit.</param>
public sealed record EventRequest(string Type, string? Text, string? ToolName, string? Phase, int? RoundCount, long? Used, long? Limit);

/// <summary><c>POST /sessions/{id}/runs/{runId}/finalize</c>.</summary>
/// <param name="Outcome"><c>completed</c>, <c>cancelled</c> or <c>error</c>.</param>
/// <param name="Error">The error message of an <c>error</c> outcome.</param>
/// <param name="Output">Any JSON value (at most 256 KiB), kept in the run's record.</param>
public sealed record FinalizeRequest(string Outcome, string? Error, JsonElement? Output);

/// <summary><c>POST /sessions/{id}/cancel</c>: the active run, or the given (possibly queued) run.</summary>
public sealed record CancelRequest(string? RunId, string? Reason);

/// <summary>A run accepted: <c>running</c>, or <c>queued</c> at <paramref name="Position"/>.</summary>
public sealed record RunAccepted(
    string SessionId,
    string RunId,
    string Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Position = null);

/// <summary>An event was published: its sequence, and whether the run's cancellation was requested.</summary>
public sealed record EventAccepted(long Sequence, bool CancelRequested);

/// <summary>A worker's heartbeat was taken: whether the run's cancellation was requested.</summary>
public sealed record HeartbeatAccepted(bool CancelRequested);

/// <summary>A run ended with <paramref name="Status"/>.</summary>
public sealed record FinalizedBody(string SessionId, string RunId, string Status, string? Error);

/// <summary>Cancellation of <paramref name="RunId"/> was requested (status <c>cancelling</c>).</summary>
public sealed record CancellingBody(string RunId, string Status);

/// <summary>A liveness or readiness answer.</summary>
public sealed record HealthBody(string Status);

/// <summary>Readiness: each check <c>ok</c> or why not.</summary>
public sealed record ReadinessBody(IReadOnlyDictionary<string, string> Checks);

/// <summary><c>GET /sessions/{id}</c>: the session's live diagnostics.</summary>
public sealed record SnapshotBody(
    string SessionId,
    string Status,
    string? RunId,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    string? Error,
    DateTimeOffset? LastEventAt,
    int RoundCount,
    string? LastToolName,
    string? LastToolPhase,
    bool CancelRequested,
    int QueueLength,
    int SubscriberCount,
    long LastSequence,
    DateTimeOffset? DeadlineAt)
{
    public static SnapshotBody Of(RunnerSnapshot s) => new(s.SessionId, s.Status.ToWire(), s.RunId, s.StartedAt, s.CompletedAt, s.Error,
        s.LastEventAt, s.RoundCount, s.LastToolName, s.LastToolPhase?.ToWire(), s.CancelRequested, s.QueueLength, s.SubscriberCount,
        s.LastSequence, s.DeadlineAt);
}

/// <summary>A run's record (<c>GET /sessions/{id}/runs/{runId}</c>, items of <c>GET /sessions/{id}/runs</c>).</summary>
/// <param name="RunId">The run.</param>
/// <param name="SessionId">Its session.</param>
/// <param name="Status"><c>pending</c> (queued), <c>running</c>, <c>completed</c>, <c>cancelled</c> or <c>error</c>.</param>
/// <param name="CreatedAt">When it was requested.</param>
/// <param name="StartedAt">When it started (null while queued, or if it never did).</param>
/// <param name="EndedAt">When it ended.</param>
/// <param name="Error">Its error.</param>
/// <param name="OnConflict">The conflict policy it was requested with.</param>
/// <param name="QueueWaitMs">How long it waited in the queue before it started.</param>
/// <param name="Agent">The built-in agent that ran it; null for a worker's run.</param>
/// <param name="Worker">Whether an external worker (or an embedded executor) did the work.</param>
/// <param name="Input">A managed run's input, or a reservation's metadata (any JSON value).</param>
/// <param name="Output">The output its finalize carried (any JSON value).</param>
/// <param name="RoundCount">Its last round count.</param>
/// <param name="LastToolName">Its last tool.</param>
/// <param name="LastSequence">The sequence of its latest event.</param>
/// <param name="CancelRequested">Whether its cancellation was requested.</param>
/// <param name="CancelReason">Why.</param>
/// <param name="CancelledBy">By whom: <c>caller</c>, <c>interrupt</c>, <c>deadline</c> or <c>shutdown</c>.</param>
/// <param name="QueuePosition">Its place in the queue while queued.</param>
public sealed record RunRecordBody(
    string RunId,
    string SessionId,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    string? Error,
    string OnConflict,
    long? QueueWaitMs,
    string? Agent,
    bool Worker,
    JsonElement? Input,
    JsonElement? Output,
    int RoundCount,
    string? LastToolName,
    long LastSequence,
    bool CancelRequested,
    string? CancelReason,
    string? CancelledBy,
    int? QueuePosition)
{
    public static RunRecordBody Of(RunRecord r) => new(r.RunId, r.SessionId, r.Status.ToWire(), r.CreatedAt, r.StartedAt, r.EndedAt, r.Error,
        r.OnConflict.ToString().ToLowerInvariant(), r.QueueWait is { } wait ? (long)wait.TotalMilliseconds : null, r.Agent, r.Agent is null,
        Json(r.Input), Json(r.Output), r.RoundCount, r.LastToolName, r.LastSequence, r.CancelRequested, r.CancelReason, r.CancelledBy,
        r.QueuePosition);

    private static JsonElement? Json(string? text)
    {
        if (text is null) return null;
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}

/// <summary>A session in the list (<c>GET /sessions</c>).</summary>
/// <param name="SessionId">The session.</param>
/// <param name="Status">Its current (or last) run's status; <c>pending</c> when it has only queued runs.</param>
/// <param name="RunId">Its current (or last) run.</param>
/// <param name="StartedAt">When that run started.</param>
/// <param name="EndedAt">When it ended.</param>
/// <param name="Error">Its error.</param>
/// <param name="LastEventAt">The session's latest activity (the list's order).</param>
/// <param name="RoundCount">The run's round count.</param>
/// <param name="LastToolName">The run's last tool.</param>
/// <param name="LastSequence">The latest event sequence the read model has seen.</param>
/// <param name="RunCount">Runs kept for the session.</param>
public sealed record SessionSummaryBody(
    string SessionId,
    string Status,
    string? RunId,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    string? Error,
    DateTimeOffset LastEventAt,
    int RoundCount,
    string? LastToolName,
    long LastSequence,
    int RunCount)
{
    public static SessionSummaryBody Of(SessionSummary s) => new(s.SessionId, s.Status.ToWire(), s.RunId, s.StartedAt, s.EndedAt, s.Error,
        s.LastEventAt, s.RoundCount, s.LastToolName, s.LastSequence, s.RunCount);
}

/// <summary>A page of sessions, newest activity first; <paramref name="NextCursor"/> is null on the last page.</summary>
public sealed record SessionPageBody(IReadOnlyList<SessionSummaryBody> Items, string? NextCursor);

/// <summary>A page of runs, newest first; <paramref name="NextCursor"/> is null on the last page.</summary>
public sealed record RunPageBody(IReadOnlyList<RunRecordBody> Items, string? NextCursor);
