using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Checks;

/// <summary>
/// At most one active run per session. A run is active over one interval of time (reserved or started, then ended,
/// never active again), so each run's evidence points lie in one interval, and two runs' intervals never overlap.
/// The points are known only to lie within their requests' intervals; two runs R and S are proven active at one
/// instant exactly when no placement of the points separates them: R has a point that must come after one of S's
/// (latest start of R's evidence &gt; earliest end of S's) and S one that must come after one of R's.
/// </summary>
public sealed class SingleActiveRunCheck : IChaosCheck
{
    public string Name => "one-active-run";

    public IEnumerable<Violation> Find(ChaosRecord record)
    {
        foreach (var session in Observations.Activities(record.Entries).GroupBy(activity => activity.SessionId))
        {
            var runs = session.GroupBy(activity => activity.RunId)
                .Select(run => new
                {
                    RunId = run.Key,
                    LatestStart = run.MaxBy(activity => activity.Entry.Start)!.Entry,
                    EarliestEnd = run.MinBy(activity => activity.Entry.End)!.Entry,
                })
                .ToArray();
            for (var i = 0; i < runs.Length; i++)
            for (var j = i + 1; j < runs.Length; j++)
            {
                var (r, s) = (runs[i], runs[j]);
                if (r.LatestStart.Start <= s.EarliestEnd.End || s.LatestStart.Start <= r.EarliestEnd.End) continue;
                yield return new Violation(Name,
                    $"session '{session.Key}': runs {r.RunId} and {s.RunId} were both active at one instant " +
                    $"({r.RunId} active in #{r.EarliestEnd.Id} and again in #{r.LatestStart.Id}, which must come after {s.RunId}'s #{s.EarliestEnd.Id}; " +
                    $"{s.RunId} active in #{s.LatestStart.Id}, which must come after #{r.EarliestEnd.Id})",
                    r.EarliestEnd, r.LatestStart, s.EarliestEnd, s.LatestStart);
            }
        }
    }
}
