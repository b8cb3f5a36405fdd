using System.Text.Json;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Server.Api;

namespace Bamboo.Actors.Server.Sse;

/// <summary>The wire form of events: <c>{"type", "sessionId", "runId", "sequence", "timestamp", ...payload}</c> in camelCase,
/// written and read by hand for exact field names and no reflection on the hot path.</summary>
internal static class EventJson
{
    /// <summary>Event types an executor may post (<c>POST .../events</c>).</summary>
    public static readonly IReadOnlyList<string> PublishableTypes =
    [
        AgentEventTypes.ToolStarted, AgentEventTypes.ToolLifecycle, AgentEventTypes.TokenDelta,
        AgentEventTypes.RunnerProgress, AgentEventTypes.TokenBudget,
    ];

    private static readonly IReadOnlyDictionary<string, ToolPhase> Phases = new Dictionary<string, ToolPhase>
    {
        ["begin"] = ToolPhase.Begin,
        ["finished"] = ToolPhase.Finished,
        ["error"] = ToolPhase.Error,
    };

    public static void Write(Utf8JsonWriter writer, AgentEvent evt)
    {
        writer.WriteStartObject();
        if (evt is ReplayGap gap)
        {
            writer.WriteNumber("fromSequence", gap.FromSequence);
            writer.WriteNumber("toSequence", gap.ToSequence);
            writer.WriteEndObject();
            return;
        }
        writer.WriteString("type", evt.WireName());
        writer.WriteString("sessionId", evt.SessionId);
        writer.WriteString("runId", evt.RunId);
        writer.WriteNumber("sequence", evt.Sequence);
        writer.WriteString("timestamp", evt.Timestamp);
        switch (evt)
        {
            case TokenDelta delta:
                writer.WriteString("text", delta.Text);
                break;
            case ToolStarted tool:
                writer.WriteString("toolName", tool.ToolName);
                break;
            case ToolLifecycle tool:
                writer.WriteString("toolName", tool.ToolName);
                writer.WriteString("phase", tool.Phase.ToWire());
                break;
            case RunnerProgress progress:
                writer.WriteNumber("roundCount", progress.RoundCount);
                break;
            case TokenBudget budget:
                writer.WriteNumber("used", budget.Used);
                writer.WriteNumber("limit", budget.Limit);
                break;
            case ExecutionFinished finished:
                writer.WriteString("status", finished.Status.ToWire());
                if (finished.Error is not null) writer.WriteString("error", finished.Error);
                break;
            case RunQueued queued:
                writer.WriteNumber("position", queued.Position);
                break;
            case RunCancelling cancelling:
                if (cancelling.Reason is not null) writer.WriteString("reason", cancelling.Reason);
                break;
        }
        writer.WriteEndObject();
    }

    /// <summary>Builds the progress event a worker posted; problems are recorded on <paramref name="body"/>.</summary>
    public static AgentEvent? Read(JsonBody body)
    {
        var type = body.String("type", required: true);
        if (type is null) return null;
        AgentEvent? evt = type switch
        {
            AgentEventTypes.TokenDelta => body.String("text", required: true) is { } text ? new TokenDelta(text) : null,
            AgentEventTypes.ToolStarted => NonEmpty(body, "toolName") is { } name ? new ToolStarted(name) : null,
            AgentEventTypes.ToolLifecycle => (NonEmpty(body, "toolName"), body.OneOf("phase", "invalid_value", Phases, required: true)) is ({ } name, { } phase)
                ? new ToolLifecycle(name, phase) : null,
            AgentEventTypes.RunnerProgress => body.Integer("roundCount", required: true) is { } round
                ? (round > int.MaxValue ? Invalid(body, "roundCount") : new RunnerProgress((int)round)) : null,
            AgentEventTypes.TokenBudget => (body.Integer("used", required: true), body.Integer("limit", required: true)) is ({ } used, { } limit)
                ? new TokenBudget(used, limit) : null,
            _ => Unknown(body, type),
        };
        return body.Error is null ? evt : null;
    }

    private static string? NonEmpty(JsonBody body, string name)
    {
        var value = body.String(name, required: true);
        if (value is { Length: 0 }) body.Fail("invalid_value", $"'{name}' must not be empty");
        return string.IsNullOrEmpty(value) ? null : value;
    }

    private static AgentEvent? Invalid(JsonBody body, string name)
    {
        body.Fail("invalid_value", $"'{name}' is out of range");
        return null;
    }

    private static AgentEvent? Unknown(JsonBody body, string type)
    {
        body.Fail("unknown_event_type", $"'type' must be one of {string.Join(", ", PublishableTypes)}; got '{type}'");
        return null;
    }
}
