using Bamboo.Actors.Protocol;

namespace Bamboo.Actors.Events;

// Lifecycle events: published by the session runner only. All are critical (kept for late-subscriber replay).

/// <summary>The run started (lifecycle, critical).</summary>
public sealed record ExecutionStarted : AgentEvent;

/// <summary>The run was queued behind the active one at 1-based <paramref name="Position"/> (lifecycle, critical).</summary>
public sealed record RunQueued(int Position) : AgentEvent;

/// <summary>Cancellation of the run was requested; it stays running until its executor finalizes (lifecycle, critical).</summary>
public sealed record RunCancelling(string? Reason) : AgentEvent;

/// <summary>The run ended with a terminal <paramref name="Status"/> (lifecycle, critical).</summary>
public sealed record ExecutionFinished(RunStatus Status, string? Error = null) : AgentEvent;

// Progress events: published by executors through RunnerCommands.Publish.

/// <summary>Streamed model output.</summary>
public sealed record TokenDelta(string Text) : AgentEvent;

/// <summary>A tool call started (critical).</summary>
public sealed record ToolStarted(string ToolName) : AgentEvent;

/// <summary>A tool call moved to <paramref name="Phase"/> (critical).</summary>
public sealed record ToolLifecycle(string ToolName, ToolPhase Phase) : AgentEvent;

/// <summary>The agent loop finished round <paramref name="RoundCount"/>.</summary>
public sealed record RunnerProgress(int RoundCount) : AgentEvent;

/// <summary>Token usage against the budget; the latest one is replayed to new subscribers.</summary>
public sealed record TokenBudget(long Used, long Limit) : AgentEvent;

/// <summary>
/// Not an event of the stream: the marker that opens a cursor replay when events after the cursor were evicted
/// (<paramref name="FromSequence"/>..<paramref name="ToSequence"/> inclusive are gone). Never retained or published.
/// </summary>
public sealed record ReplayGap(long FromSequence, long ToSequence) : AgentEvent;
