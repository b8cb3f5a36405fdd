namespace Bamboo.Actors.Events;

/// <summary>Classification and snake_case wire names of the <see cref="AgentEvent"/> family.</summary>
public static class AgentEventTypes
{
    /// <summary>Wire name of <see cref="ExecutionStarted"/>.</summary>
    public const string ExecutionStarted = "execution_started";
    /// <summary>Wire name of <see cref="RunQueued"/>.</summary>
    public const string RunQueued = "run_queued";
    /// <summary>Wire name of <see cref="RunCancelling"/>.</summary>
    public const string RunCancelling = "run_cancelling";
    /// <summary>Wire name of <see cref="ExecutionFinished"/>.</summary>
    public const string ExecutionFinished = "execution_finished";
    /// <summary>Wire name of <see cref="TokenDelta"/>.</summary>
    public const string TokenDelta = "token_delta";
    /// <summary>Wire name of <see cref="ToolStarted"/>.</summary>
    public const string ToolStarted = "tool_started";
    /// <summary>Wire name of <see cref="ToolLifecycle"/>.</summary>
    public const string ToolLifecycle = "tool_lifecycle";
    /// <summary>Wire name of <see cref="RunnerProgress"/>.</summary>
    public const string RunnerProgress = "runner_progress";
    /// <summary>Wire name of <see cref="TokenBudget"/>.</summary>
    public const string TokenBudget = "token_budget";
    /// <summary>Wire name of <see cref="ReplayGap"/>.</summary>
    public const string ReplayGap = "replay_gap";

    /// <summary>The snake_case wire name of an event.</summary>
    public static string WireName(this AgentEvent evt) => evt switch
    {
        Events.ExecutionStarted => ExecutionStarted,
        Events.RunQueued => RunQueued,
        Events.RunCancelling => RunCancelling,
        Events.ExecutionFinished => ExecutionFinished,
        Events.TokenDelta => TokenDelta,
        Events.ToolStarted => ToolStarted,
        Events.ToolLifecycle => ToolLifecycle,
        Events.RunnerProgress => RunnerProgress,
        Events.TokenBudget => TokenBudget,
        Events.ReplayGap => ReplayGap,
        _ => throw new ArgumentOutOfRangeException(nameof(evt), evt.GetType().Name, "Unknown event type."),
    };

    /// <summary>Lifecycle events are published by the runner itself; an executor may not publish them.</summary>
    public static bool IsLifecycle(this AgentEvent evt) =>
        evt is Events.ExecutionStarted or Events.RunQueued or Events.RunCancelling or Events.ExecutionFinished or Events.ReplayGap;

    /// <summary>Critical events (lifecycle and tool events) are kept for replay to late subscribers.</summary>
    public static bool IsCritical(this AgentEvent evt) =>
        evt is Events.ExecutionStarted or Events.RunQueued or Events.RunCancelling or Events.ExecutionFinished
            or Events.ToolStarted or Events.ToolLifecycle;
}
