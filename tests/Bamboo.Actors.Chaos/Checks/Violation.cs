using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Checks;

/// <summary>A broken promise, with the requests that prove it.</summary>
/// <param name="Check">The check that found it.</param>
/// <param name="Summary">What is wrong, in one sentence.</param>
/// <param name="Evidence">The requests (node, times, bodies) that prove it, in time order.</param>
/// <param name="Details">Anything else that proves it (journal rows, a process's last output).</param>
public sealed record Violation(string Check, string Summary, IReadOnlyList<HistoryEntry> Evidence, IReadOnlyList<string> Details)
{
    public Violation(string check, string summary, params HistoryEntry[] evidence)
        : this(check, summary, evidence.Distinct().OrderBy(entry => entry.Start).ThenBy(entry => entry.Id).ToArray(), [])
    {
    }
}
