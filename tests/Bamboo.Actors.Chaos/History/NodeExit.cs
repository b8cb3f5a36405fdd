namespace Bamboo.Actors.Chaos.History;

/// <summary>A server process that exited although nobody killed it.</summary>
/// <param name="Node">The node (1-based).</param>
/// <param name="Incarnation">Which start of that node (1 = the first).</param>
/// <param name="At">When the exit was seen.</param>
/// <param name="ExitCode">The process's exit code.</param>
/// <param name="OutputTail">The process's last lines of output.</param>
public sealed record NodeExit(int Node, int Incarnation, TimeSpan At, int ExitCode, string OutputTail);
