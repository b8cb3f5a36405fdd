using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Checks;

/// <summary>
/// No event or finalize is accepted (202, 200) for a run already known to have ended: a finalize acknowledged, or a
/// terminal status read, by a request that ended before the accepted one started.
/// </summary>
public sealed class EndedRunAcceptsNothingCheck : IChaosCheck
{
    public string Name => "ended-run-accepts-nothing";

    public IEnumerable<Violation> Find(ChaosRecord record)
    {
        var endings = Observations.Endings(record.Entries).ToLookup(ending => (ending.SessionId, ending.RunId));
        var accepted = Observations.Activities(record.Entries).Where(activity => activity.Accepted)
            .GroupBy(activity => (activity.SessionId, activity.RunId));
        foreach (var run in accepted)
        {
            var first = endings[run.Key].MinBy(ending => ending.Entry.End);
            if (first is null) continue;
            var late = run.Where(activity => activity.Entry.Start > first.Entry.End).OrderBy(activity => activity.Entry.Start).ToArray();
            if (late.Length == 0) continue;
            yield return new Violation(Name,
                $"session '{run.Key.SessionId}': run {run.Key.RunId} had ended ({first.Describe()}, #{first.Entry.Id}) and then accepted " +
                $"{late.Length} more {(late.Length == 1 ? "write" : "writes")} (first: #{late[0].Entry.Id})",
                first.Entry, late[0].Entry);
        }
    }
}
