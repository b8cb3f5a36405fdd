using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;

namespace Bamboo.Actors.Benchmarks.Targets;

/// <summary>The three progress events every cycle publishes (the runner stamps copies, so instances are shared).</summary>
public static class BenchEvents
{
    /// <summary>Streamed output.</summary>
    public static readonly AgentEvent Delta = new TokenDelta("hello");

    /// <summary>A tool call (critical: kept for replay).</summary>
    public static readonly AgentEvent Tool = new ToolLifecycle("search", ToolPhase.Begin);

    /// <summary>Round progress.</summary>
    public static readonly AgentEvent Progress = new RunnerProgress(1);

    /// <summary>The events of one cycle, in order.</summary>
    public static readonly AgentEvent[] Cycle = [Delta, Tool, Progress];

    /// <summary>Session keys <c>session-0</c> … <c>session-(count-1)</c>.</summary>
    public static string[] SessionIds(int count, string prefix = "session-") =>
        Enumerable.Range(0, count).Select(i => prefix + i).ToArray();
}
