using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Checks;

/// <summary>
/// An ending, once acknowledged (a finalize answered 200) or read (a terminal status, <c>already_finalized</c>), is
/// never contradicted by a later answer: the run is not seen active again, nor ended with another status or error.
/// (Writes accepted after the end are <see cref="EndedRunAcceptsNothingCheck"/>'s.)
/// </summary>
public sealed class AcknowledgedOutcomeCheck : IChaosCheck
{
    public string Name => "outcome-never-contradicted";

    public IEnumerable<Violation> Find(ChaosRecord record)
    {
        var endings = Observations.Endings(record.Entries).GroupBy(ending => (ending.SessionId, ending.RunId));
        var activities = Observations.Activities(record.Entries).Where(activity => !activity.Accepted)
            .ToLookup(activity => (activity.SessionId, activity.RunId));
        foreach (var run in endings)
        {
            var ordered = run.OrderBy(ending => ending.Entry.End).ToArray();
            var violation = ordered.Select(ending => Contradiction(ending, ordered, activities[run.Key])).FirstOrDefault(found => found is not null);
            if (violation is not null) yield return violation;
        }
    }

    private Violation? Contradiction(RunEnding ending, IEnumerable<RunEnding> endings, IEnumerable<RunActivity> activities)
    {
        var what = ending.Acknowledged ? "acknowledged" : "read";
        var active = activities.Where(activity => activity.Entry.Start > ending.Entry.End).MinBy(activity => activity.Entry.Start);
        if (active is not null)
        {
            return new Violation(Name,
                $"session '{ending.SessionId}': run {ending.RunId} ended {ending.Describe()} ({what} in #{ending.Entry.Id}) and was later seen active (#{active.Entry.Id})",
                ending.Entry, active.Entry);
        }
        var other = endings.Where(later => later.Entry.Start > ending.Entry.End && Differs(ending, later)).MinBy(later => later.Entry.Start);
        return other is null
            ? null
            : new Violation(Name,
                $"session '{ending.SessionId}': run {ending.RunId} ended {ending.Describe()} ({what} in #{ending.Entry.Id}) and was later read as {other.Describe()} (#{other.Entry.Id})",
                ending.Entry, other.Entry);
    }

    private static bool Differs(RunEnding first, RunEnding later) =>
        first.Status != later.Status || (first.Error is not null && later.Error is not null && first.Error != later.Error);
}
