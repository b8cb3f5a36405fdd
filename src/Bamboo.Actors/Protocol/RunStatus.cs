namespace Bamboo.Actors.Protocol;

/// <summary>Status of a session's current (or last) run.</summary>
public enum RunStatus
{
    /// <summary>The session has never had a run.</summary>
    Pending = 0,
    /// <summary>A run is active.</summary>
    Running = 1,
    /// <summary>The run ended successfully.</summary>
    Completed = 2,
    /// <summary>The run was cancelled (by request, by an interrupting run, or cooperatively by its executor).</summary>
    Cancelled = 3,
    /// <summary>The run failed; the snapshot carries the error message.</summary>
    Error = 4,
}

/// <summary>What <see cref="RunnerCommands.Reserve"/> does while a run is already active.</summary>
public enum ConflictPolicy
{
    /// <summary>Refuse with <see cref="RunnerReplies.AlreadyRunning"/> carrying the active run's id.</summary>
    Reject = 0,
    /// <summary>Cancel the active run at once (it ends <see cref="RunStatus.Cancelled"/> and is fenced) and start the new one.</summary>
    Interrupt = 1,
    /// <summary>Queue the new run (bounded FIFO); it starts when the active run ends.</summary>
    Enqueue = 2,
}

/// <summary>Phase of a tool call, as reported by <see cref="Events.ToolLifecycle"/>.</summary>
public enum ToolPhase
{
    /// <summary>The tool call started.</summary>
    Begin = 0,
    /// <summary>The tool call finished.</summary>
    Finished = 1,
    /// <summary>The tool call failed.</summary>
    Error = 2,
}

/// <summary>Status helpers.</summary>
public static class RunStatusExtensions
{
    /// <summary>True for <see cref="RunStatus.Completed"/>, <see cref="RunStatus.Cancelled"/> and <see cref="RunStatus.Error"/>.</summary>
    public static bool IsTerminal(this RunStatus status) => status >= RunStatus.Completed;

    /// <summary>The lower-case wire name of a status (<c>running</c>, <c>completed</c>, ...).</summary>
    public static string ToWire(this RunStatus status) => status switch
    {
        RunStatus.Pending => "pending",
        RunStatus.Running => "running",
        RunStatus.Completed => "completed",
        RunStatus.Cancelled => "cancelled",
        RunStatus.Error => "error",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    /// <summary>The lower-case wire name of a tool phase (<c>begin</c>, <c>finished</c>, <c>error</c>).</summary>
    public static string ToWire(this ToolPhase phase) => phase switch
    {
        ToolPhase.Begin => "begin",
        ToolPhase.Finished => "finished",
        ToolPhase.Error => "error",
        _ => throw new ArgumentOutOfRangeException(nameof(phase), phase, null),
    };
}
