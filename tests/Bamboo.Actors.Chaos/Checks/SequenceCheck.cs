using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Checks;

/// <summary>
/// A session's sequence never goes backwards, across nodes and restarts: a value seen by a request that ended before
/// another started is never more than what the later one sees (a session answered 404 after it had events saw 0).
/// </summary>
public sealed class SequenceCheck : IChaosCheck
{
    public string Name => "sequence-never-backwards";

    public IEnumerable<Violation> Find(ChaosRecord record)
    {
        foreach (var session in Observations.Sequences(record.Entries).GroupBy(observation => observation.SessionId))
        {
            var byEnd = session.OrderBy(observation => observation.Entry.End).ToArray();
            var byStart = session.OrderBy(observation => observation.Entry.Start).ToArray();
            SequenceObservation? highest = null;
            var ended = 0;
            Violation? first = null;
            var count = 0;
            foreach (var later in byStart)
            {
                // Everything that ended before this one started is known to be earlier.
                for (; ended < byEnd.Length && byEnd[ended].Entry.End < later.Entry.Start; ended++)
                {
                    if (highest is null || byEnd[ended].Value > highest.Value) highest = byEnd[ended];
                }
                if (highest is null || later.Value >= highest.Value) continue;
                count++;
                first ??= new Violation(Name,
                    $"session '{session.Key}': sequence went back from {highest.Value} (#{highest.Entry.Id}, node{highest.Entry.Node}) " +
                    $"to {later.Value} (#{later.Entry.Id}, node{later.Entry.Node})",
                    highest.Entry, later.Entry);
            }
            if (first is not null)
                yield return count == 1 ? first : first with { Summary = $"{first.Summary}; {count} observations in all went back" };
        }
    }
}
