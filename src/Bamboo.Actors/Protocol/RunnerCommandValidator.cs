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
            Finalize f => RunId(f.RunId) ?? (f.Outcome is null ? "outcome is required" : null),
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
        TokenBudgetUpdated { Used: < 0 } or TokenBudgetUpdated { Limit: < 0 } => "token budget values must not be negative",
        TokenDelta or ToolStarted or ToolLifecycle or RunnerProgress or TokenBudgetUpdated => null,
        // AgentEvent can be subclassed: a type of the embedder's own has no wire name, no schema and no replay rule.
        _ => $"unknown event type {evt.GetType().Name}",
    };

    private static string? RunId(string? runId) =>
        string.IsNullOrEmpty(runId) ? "runId is required"
        : runId.Length > MaxRunIdLength ? $"runId must be at most {MaxRunIdLength} characters"
        : runId.Any(char.IsControl) ? "runId must not contain control characters"
        : null;
}
