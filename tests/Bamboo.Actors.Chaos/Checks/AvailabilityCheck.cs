using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Checks;

/// <summary>
/// No node exits unless killed, and SIGTERM stops one in time; a restarted node answers <c>/healthz</c> (and
/// <c>/readyz</c>) and then serves sessions again; at the end, every node answers every session. Two exits are the
/// product's own recovery, not failures: a node that could not join its seeds within its join timeout, and a node the
/// cluster downed (its split brain resolver's decision: after a peer's restart, a node whose link to that peer never came
/// up is indirectly connected, and both ends are downed), leave with code 1 so that their supervisor (here, the harness)
/// starts them again — bounded, and never a process that answers <c>/healthz</c> but no session. Such exits are counted
/// in the figures; the incarnation that left is not required to have served.
/// </summary>
public sealed class AvailabilityCheck : IChaosCheck
{
    private const int TailLines = 40;

    public string Name => "available";

    public IEnumerable<Violation> Find(ChaosRecord record)
    {
        foreach (var exit in record.UnexpectedExits.Where(exit => !IsOwnRecovery(exit)))
        {
            var tail = exit.OutputTail.Split('\n').TakeLast(TailLines).Select(line => "  | " + line.TrimEnd()).ToArray();
            yield return new Violation(Name,
                $"node{exit.Node} (start {exit.Incarnation}) exited by itself with code {exit.ExitCode} at {RunClock.Format(exit.At)}; its last output:",
                [], tail);
        }
        foreach (var fault in record.Faults.Where(fault => fault.NeededKill))
            yield return new Violation(Name, $"node{fault.Node} did not stop within its bound after SIGTERM and was killed: {fault.Describe()}", [], []);
        foreach (var fault in record.Faults.Where(fault => fault.RestartedAt is not null && !GaveUpJoining(record, fault)))
        {
            if (fault.HealthyAt is null)
                yield return new Violation(Name, $"node{fault.Node} never answered /healthz after its restart: {fault.Describe()}", [], []);
            else if (fault.ReadyAt is null)
                yield return new Violation(Name, $"node{fault.Node} answered /healthz but never /readyz after its restart: {fault.Describe()}", [], []);
            else if (fault.ServingAt is null)
                yield return new Violation(Name, $"node{fault.Node} answered /healthz but no session request after its restart: {fault.Describe()}", [], []);
        }
        foreach (var session in record.FinalReads)
        {
            var silent = session.Reads.Where(read => read.Status is not (200 or 404)).ToArray();
            if (silent.Length > 0)
            {
                yield return new Violation(Name,
                    $"session '{session.SessionId}': not answered at the end by {string.Join(", ", silent.Select(read => $"node{read.Node}"))}",
                    silent);
            }
        }
    }

    /// <summary>A node that left (exit code 1) because it could not join its seeds within its join timeout, or because the
    /// cluster downed it.</summary>
    public static bool IsOwnRecovery(NodeExit exit) =>
        exit.ExitCode == 1 && (exit.OutputTail.Contains("ClusterJoinUnsuccessfulReason", StringComparison.Ordinal) ||
                               exit.OutputTail.Contains("ClusterDowningReason", StringComparison.Ordinal));

    /// <summary>The incarnation started after <paramref name="fault"/> gave up joining or was downed, and left (and was
    /// started again).</summary>
    private static bool GaveUpJoining(ChaosRecord record, FaultRecord fault) =>
        record.UnexpectedExits.Any(exit => exit.Node == fault.Node && exit.At > fault.RestartedAt && IsOwnRecovery(exit)
            && !record.Faults.Any(other => other.Node == fault.Node && other.At > fault.At && other.At < exit.At));
}
