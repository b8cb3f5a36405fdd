using System.Text.Json;
using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Checks;

/// <summary>
/// After quiescence (no load, no faults, every deadline and its grace passed): no run is still running or queued, and
/// every node answers the same snapshot for every session.
/// </summary>
public sealed class SettledStateCheck : IChaosCheck
{
    // Subscribers are per connection, not state: they are not part of what the nodes must agree on.
    private static readonly HashSet<string> Ignored = ["subscriberCount"];

    public string Name => "settled-and-agreed";

    public IEnumerable<Violation> Find(ChaosRecord record)
    {
        foreach (var session in record.FinalReads)
        {
            var unsettled = session.Reads.Where(read => read.Status == 200 &&
                (read.Reply("status") == "running" || read.ReplyNumber("queueLength") > 0)).ToArray();
            if (unsettled.Length > 0)
            {
                yield return new Violation(Name,
                    $"session '{session.SessionId}': run {unsettled[0].Reply("runId")} still {unsettled[0].Reply("status")} " +
                    $"(queue {unsettled[0].ReplyNumber("queueLength")}) after quiescence", unsettled);
            }
            var answers = session.Reads.Where(read => read.Status is 200 or 404).ToArray();
            if (answers.Select(Comparable).Distinct().Count() > 1)
                yield return new Violation(Name, $"session '{session.SessionId}': the nodes disagree on its snapshot after quiescence", answers);
        }
    }

    private static string Comparable(HistoryEntry read)
    {
        if (read.Status == 404 || read.Json is not { } json) return read.Status.ToString();
        var fields = json.EnumerateObject().Where(property => !Ignored.Contains(property.Name))
            .OrderBy(property => property.Name, StringComparer.Ordinal)
            .ToDictionary(property => property.Name, property => property.Value.GetRawText());
        return JsonSerializer.Serialize(fields);
    }
}
