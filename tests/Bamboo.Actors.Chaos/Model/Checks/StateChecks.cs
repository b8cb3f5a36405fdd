using Bamboo.Actors.Chaos.Model.Records;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Chaos.Model.Checks;

/// <summary>
/// After quiescence (no load, no faults, every deadline and grace passed, nobody touching any session meanwhile): no run
/// is running or queued, every node answers the same snapshot and run record for every session, and once every
/// subscriber has left, no session still counts one.
/// </summary>
public sealed class SettledAndAgreedCheck : IModelCheck
{
    public string Name => "settled-and-agreed";

    public IEnumerable<ModelViolation> Find(ModelRecord record)
    {
        foreach (var read in record.FinalReads)
        {
            var unanswered = read.Statuses.Where(status => status.Reply is not RunnerSnapshot).ToArray();
            if (unanswered.Length > 0)
                yield return ModelViolation.Of(Name, read.SessionId, $"session '{read.SessionId}': not answered after quiescence", unanswered);
            var snapshots = read.Statuses.Where(status => status.Reply is RunnerSnapshot).ToArray();
            var busy = snapshots.FirstOrDefault(status => status.Reply is RunnerSnapshot snapshot && (snapshot.Status == RunStatus.Running || snapshot.QueueLength > 0));
            if (busy is not null)
                yield return ModelViolation.Of(Name, read.SessionId, $"session '{read.SessionId}': still busy after quiescence", [busy]);
            if (snapshots.Select(status => Comparable((RunnerSnapshot)status.Reply!)).Distinct().Count() > 1)
                yield return ModelViolation.Of(Name, read.SessionId, $"session '{read.SessionId}': the nodes disagree on its snapshot", snapshots);
            if (read.Records.Select(entry => entry.Reply?.ToString()).Distinct().Count() > 1)
                yield return ModelViolation.Of(Name, read.SessionId, $"session '{read.SessionId}': the nodes disagree on its last run's record", read.Records);
        }
        var leaks = record.AfterClose.Where(entry => entry.Reply is RunnerSnapshot { SubscriberCount: > 0 }).ToArray();
        if (leaks.Length > 0)
        {
            yield return ModelViolation.Of(Name, null,
                $"{leaks.Length} sessions still count subscribers after every subscriber left (unsubscribed, killed, or its node gone)", leaks.Take(8));
        }
    }

    private static string Comparable(RunnerSnapshot snapshot) => (snapshot with { SubscriberCount = 0 }).ToString();
}

/// <summary>
/// <c>bamboo.runs.active</c> summed over the nodes equals the sessions found running: at quiescence, while a few runs are
/// held on purpose, and after they are finalized; and it never went below zero.
/// </summary>
public sealed class GaugeCheck : IModelCheck
{
    public string Name => "runs-active-gauge";

    public IEnumerable<ModelViolation> Find(ModelRecord record)
    {
        if (record.Gauge is not { } gauge) yield break;
        if (gauge.AtQuiescence != gauge.RunningAtQuiescence)
            yield return ModelViolation.Of(Name, null, $"at quiescence the gauge says {gauge.AtQuiescence} runs are active; {gauge.RunningAtQuiescence} sessions were found running", []);
        if (gauge.WhileHeld != gauge.RunningWhileHeld)
            yield return ModelViolation.Of(Name, null, $"with {gauge.Held} runs held the gauge says {gauge.WhileHeld}; {gauge.RunningWhileHeld} sessions were found running", []);
        if (gauge.AfterRelease != gauge.RunningAfterRelease)
            yield return ModelViolation.Of(Name, null, $"after the held runs ended the gauge says {gauge.AfterRelease}; {gauge.RunningAfterRelease} sessions were found running", []);
        if (gauge.Lowest < 0)
            yield return ModelViolation.Of(Name, null, $"the gauge went down to {gauge.Lowest} (a run uncounted more often than counted)", []);
    }
}
