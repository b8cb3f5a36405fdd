using Bamboo.Actors.Chaos.History;
using Bamboo.Actors.Chaos.Model.Faults;
using Bamboo.Actors.Chaos.Model.Records;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Chaos.Model.Checks;

/// <summary>
/// Every command is answered: a reply, <c>Unavailable</c>, or a timeout that the history explains. A timeout is explained
/// by a fault window it overlaps (a node crashing, leaving or joining, a store outage, until the cluster healed), by the
/// node it was sent through going down, or by journal writes held back on any node just before. <c>Unavailable</c> is
/// explained by a journal fault injected for that very session shortly before, by an outage, or by a node losing its
/// shards (crash, leave). Anything else is a command lost.
/// </summary>
public sealed class EveryCommandAnsweredCheck : IModelCheck
{
    private static readonly TimeSpan Lookback = TimeSpan.FromSeconds(1);

    public string Name => "every-command-answered";

    public IEnumerable<ModelViolation> Find(ModelRecord record)
    {
        var windows = new FaultWindows(record);
        var injected = record.Injected.OrderBy(fault => fault.At).ToArray();
        var unexplained = new List<(ModelEntry Entry, string Why)>();
        foreach (var entry in record.Entries.Where(entry => entry.IsOperation))
        {
            if (entry.Outcome is Outcome.TimedOut or Outcome.Failed)
            {
                if (windows.Overlapping(entry.Start, entry.End).Any()) continue;
                if (injected.Any(fault => fault.Fault == WriteFault.Delay && fault.At >= entry.Start - Lookback && fault.At <= entry.End)) continue;
                unexplained.Add((entry, entry.Outcome == Outcome.TimedOut ? "no answer" : $"failed ({entry.Error})"));
            }
            else if (entry.Outcome == Outcome.Unavailable)
            {
                if (windows.Overlapping(entry.Start, entry.End).Any()) continue;
                var id = Routing.SessionIds.ToEntityId(entry.SessionId);
                if (injected.Any(fault => fault.Fault is WriteFault.Fail or WriteFault.Reject && fault.PersistenceId.EndsWith("-" + id, StringComparison.Ordinal) &&
                                          fault.At >= entry.Start - Lookback && fault.At <= entry.End)) continue;
                unexplained.Add((entry, $"Unavailable ({(entry.Reply as Unavailable)?.Reason ?? entry.Error})"));
            }
        }
        foreach (var group in unexplained.GroupBy(item => (item.Entry.Kind, item.Why.Split(' ')[0])))
        {
            var items = group.ToArray();
            yield return ModelViolation.Of(Name, items.Length == 1 ? items[0].Entry.SessionId : null,
                $"{items.Length} {group.Key.Kind} operations without an answer the history explains ({items[0].Why}" +
                $"{(items.Length > 1 ? ", ..." : "")}), from {RunClock.Format(items[0].Entry.Start)} to {RunClock.Format(items[^1].Entry.End)}",
                items.Take(8).Select(item => item.Entry).Append(items[^1].Entry));
        }
    }
}

/// <summary>
/// A granted reservation is never silently lost: an executor that is alive and never finalized its run is told the run
/// ended (cancel signal, token fired, fenced) by the end of the run, and every queued reservation whose reserver lives is
/// told it started or was withdrawn.
/// </summary>
public sealed class ExecutorToldCheck : IModelCheck
{
    public string Name => "granted-never-silently-lost";

    public IEnumerable<ModelViolation> Find(ModelRecord record)
    {
        var byId = record.Entries.ToDictionary(entry => entry.Id);
        foreach (var run in record.Runs.Where(run => run.RunId is not null))
        {
            var reserve = byId.GetValueOrDefault(run.ReservedBy);
            if (run.Queued && !run.Over && run.DiedAt is null && !run.ReserverLost)
            {
                yield return ModelViolation.Of(Name, run.SessionId,
                    $"session '{run.SessionId}': queued run {ModelEntry.Short(run.RunId)} ({run.Kind.ToString().ToLowerInvariant()}) was never told it started or was withdrawn",
                    RunEntries(record, run));
                continue;
            }
            if (run.Kind == ExecutorKind.External || run.ActiveAt is null || run.Over || run.SignalledAt is not null || run.FinalizeUncertain) continue;
            if (run.DiedAt is not null) continue;
            yield return ModelViolation.Of(Name, run.SessionId,
                $"session '{run.SessionId}': the {run.Kind.ToString().ToLowerInvariant()} executor of run {ModelEntry.Short(run.RunId)} on {run.Node} " +
                $"was alive and never finalized, and was never told the run ended",
                RunEntries(record, run).Prepend(reserve));
        }
    }

    private static IEnumerable<ModelEntry> RunEntries(ModelRecord record, RunView run) =>
        record.BySession[run.SessionId].Where(entry => entry.RunId == run.RunId).Take(10);
}

/// <summary>
/// Every message reaches the actor it was meant for: an actor of the harness that belongs to one session (a requester,
/// a worker, a subscriber) never receives a reply, a signal or an event of another session. One that does was reached
/// through a reference recorded for somebody else — an executor, a reserver or a subscriber of another session, resolved
/// to the wrong actor.
/// </summary>
public sealed class ReachesItsOwnActorCheck : IModelCheck
{
    public string Name => "messages-reach-their-actor";

    public IEnumerable<ModelViolation> Find(ModelRecord record)
    {
        var misdelivered = record.Entries.Where(entry => entry.Kind == OpKind.Notice &&
                                                         entry.Purpose.StartsWith(Workload.ModelRequests.Misdelivery, StringComparison.Ordinal)).ToArray();
        foreach (var group in misdelivered.GroupBy(entry => entry.Purpose.Split(" received ")[0]))
        {
            var items = group.ToArray();
            yield return ModelViolation.Of(Name, items[0].SessionId,
                $"{items.Length} message(s) of another session reached {group.Key[Workload.ModelRequests.Misdelivery.Length..].Trim()}: {items[0].Purpose}",
                items.Take(6));
        }
    }
}
