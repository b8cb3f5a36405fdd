using Bamboo.Actors.Events;
using Bamboo.Actors.Routing;
using static Bamboo.Actors.Protocol.RunnerCommands;

namespace Bamboo.Actors.Protocol;

/// <summary>
/// Checks a command before any state is consulted. A malformed command is answered with
/// <see cref="RunnerReplies.InvalidCommand"/> and changes nothing: no session actor is even created.
/// </summary>
public static class RunnerCommandValidator
{
    /// <summary>Longest accepted run id (run ids are UUID strings; anything much longer is garbage).</summary>
    public const int MaxRunIdLength = 128;

    /// <summary>Longest accepted run deadline.</summary>
    public static readonly TimeSpan MaxDeadline = TimeSpan.FromDays(30);

    /// <summary>Returns why <paramref name="message"/> is not a well-formed command, or null when it is.</summary>
    public static string? Validate(object? message)
    {
        if (message is not IRunnerCommand command)
            return $"not a runner command: {message?.GetType().Name ?? "null"}";
        if (SessionIds.Validate(command.SessionId) is { } sessionProblem)
            return sessionProblem;

        return command switch
        {
            Reserve r when !Enum.IsDefined(r.OnConflict) => $"unknown conflict policy {(int)r.OnConflict}",
            Reserve { Deadline: { } d } when d <= TimeSpan.Zero => "deadline must be positive",
            Reserve { Deadline: { } d } when d > MaxDeadline => $"deadline must be at most {MaxDeadline.TotalDays} days",
            Reserve { HeartbeatTimeout: { } h } when h <= TimeSpan.Zero => "heartbeat timeout must be positive",
            Reserve { HeartbeatTimeout: { } h } when h > MaxDeadline => $"heartbeat timeout must be at most {MaxDeadline.TotalDays} days",
            Reserve r => IdempotencyKey(r.IdempotencyKey) ?? Json(r.Input, "input") ?? Agent(r.Agent),
            Finalize f => RunId(f.RunId) ?? (f.Outcome is null ? "outcome is required" : null) ?? Json(f.Output, "output"),
            Heartbeat h => RunId(h.RunId),
            GetRun g => RunId(g.RunId),
            Cancel { RunId: { } runId } => RunId(runId),
            Publish p => RunId(p.RunId) ?? Event(p.Event),
            Subscribe s when s.Subscriber is null => "subscriber is required",
            Subscribe { AfterSequence: < 0 } => "afterSequence must not be negative",
            Unsubscribe u when u.Subscriber is null => "subscriber is required",
            _ => null,
        };
    }

    /// <summary>Returns why a progress event an executor publishes is not acceptable, or null when it is.</summary>
    public static string? Event(AgentEvent? evt) => evt switch
    {
        null => "event is required",
        _ when evt.IsLifecycle() => $"'{evt.WireName()}' is a lifecycle event; only the runner publishes it",
        TokenDelta { Text: null } => "token_delta needs text",
        ToolStarted t when string.IsNullOrEmpty(t.ToolName) => "tool_started needs toolName",
        ToolLifecycle t when string.IsNullOrEmpty(t.ToolName) => "tool_lifecycle needs toolName",
        ToolLifecycle t when !Enum.IsDefined(t.Phase) => $"unknown tool phase {(int)t.Phase}",
        RunnerProgress { RoundCount: < 0 } => "roundCount must not be negative",
        TokenBudget { Used: < 0 } or TokenBudget { Limit: < 0 } => "token budget values must not be negative",
        TokenDelta or ToolStarted or ToolLifecycle or RunnerProgress or TokenBudget => null,
        // AgentEvent can be subclassed: a type of the embedder's own has no wire name, no schema and no replay rule.
        _ => $"unknown event type {evt.GetType().Name}",
    };

    /// <summary>Longest idempotency key: printable ASCII, at most this many characters.</summary>
    public const int MaxIdempotencyKeyLength = 128;

    /// <summary>Largest input or output a run's record keeps (UTF-16 characters of JSON text; 256 KiB).</summary>
    public const int MaxRecordedJsonLength = 256 * 1024;

    /// <summary>Why <paramref name="key"/> is not an idempotency key (≤ 128 printable ASCII characters), or null.</summary>
    public static string? IdempotencyKey(string? key) =>
        key is null ? null
        : key.Length == 0 ? "idempotency key must not be empty"
        : key.Length > MaxIdempotencyKeyLength ? $"idempotency key must be at most {MaxIdempotencyKeyLength} characters"
        : key.Any(c => c is < '\u0020' or > '\u007e') ? "idempotency key must be printable ASCII"
        : null;

    /// <summary>Why <paramref name="json"/> cannot be kept as a run's <paramref name="what"/> (not one JSON value, or over
    /// 256 KiB), or null.</summary>
    public static string? Json(string? json, string what)
    {
        if (json is null) return null;
        if (json.Length > MaxRecordedJsonLength) return $"{what} must be at most {MaxRecordedJsonLength / 1024} KiB";
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(json, new System.Text.Json.JsonDocumentOptions { MaxDepth = 64 });
            return null;
        }
        catch (System.Text.Json.JsonException)
        {
            return $"{what} must be one JSON value";
        }
    }

    private static string? Agent(string? agent) =>
        agent is null ? null
        : agent.Length is 0 or > 64 || agent.Any(char.IsControl) ? "agent must be a name of 1 to 64 characters"
        : null;

    private static string? RunId(string? runId) =>
        string.IsNullOrEmpty(runId) ? "runId is required"
        : runId.Length > MaxRunIdLength ? $"runId must be at most {MaxRunIdLength} characters"
        : runId.Any(char.IsControl) ? "runId must not contain control characters"
        : null;
}
