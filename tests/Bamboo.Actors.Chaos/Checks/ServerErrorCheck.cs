using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Checks;

/// <summary>
/// No 5xx but 503, and no 503 (nor a request left unanswered) unless its interval overlaps a fault window: from a
/// node's kill until it answered <c>/healthz</c> again plus <see cref="ChaosRecord.HealMargin"/>.
/// </summary>
public sealed class ServerErrorCheck : IChaosCheck
{
    private const int EvidenceShown = 6;

    public string Name => "no-5xx-outside-faults";

    public IEnumerable<Violation> Find(ChaosRecord record)
    {
        // An incarnation that gave up joining or was downed (and left, to be started again) is part of its fault until it left.
        var windows = record.Faults.Select(fault => fault.Window(record.HealMargin, record.Ended))
            .Concat(record.UnexpectedExits.Where(AvailabilityCheck.IsOwnRecovery).Select(exit => (From: exit.At - record.HealMargin, To: exit.At)))
            .ToArray();
        var errors = record.Entries.Where(entry => entry.Status >= 500 && entry.Status != 503).ToArray();
        foreach (var status in errors.GroupBy(entry => entry.Status))
            yield return Grouped($"{status.Count()} answers {status.Key}", status.ToArray());

        var outside = record.Entries
            .Where(entry => entry.Unavailable && !windows.Any(window => entry.Start <= window.To && entry.End >= window.From))
            .GroupBy(entry => (entry.Node, entry.Status));
        foreach (var group in outside)
        {
            var what = group.Key.Status == 0 ? "requests unanswered" : "answers 503";
            yield return Grouped($"{group.Count()} {what} through node{group.Key.Node} outside every fault window", group.ToArray());
        }
    }

    private Violation Grouped(string what, HistoryEntry[] entries)
    {
        var shown = entries.Length <= EvidenceShown ? entries : entries.Take(EvidenceShown - 1).Append(entries[^1]).ToArray();
        return new Violation(Name,
            $"{what}, from {RunClock.Format(entries[0].Start)} to {RunClock.Format(entries[^1].End)}" +
            (entries.Length > shown.Length ? $" (first {shown.Length - 1} and the last shown)" : ""), shown);
    }
}
