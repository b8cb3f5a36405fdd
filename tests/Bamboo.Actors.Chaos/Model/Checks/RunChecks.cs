using Bamboo.Actors.Chaos.History;
using Bamboo.Actors.Chaos.Model.Records;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Chaos.Model.Checks;

/// <summary>
/// At most one active run per session at any instant. A run is active over one interval of time, so its evidence lies in
/// one interval; two runs are proven active at one instant exactly when each has evidence that must come after evidence of
/// the other (latest start of one's evidence after the earliest end of the other's, both ways). Sound for every policy:
/// an interrupt ends the old run at the instant the new one starts, and a queued run starts after the one before ended.
/// </summary>
public sealed class OneActiveRunCheck : IModelCheck
{
    public string Name => "one-active-run";

    public IEnumerable<ModelViolation> Find(ModelRecord record)
    {
        foreach (var session in ModelObservations.Activities(record).GroupBy(activity => activity.SessionId))
        {
            var runs = session.GroupBy(activity => activity.RunId)
                .Select(run => (RunId: run.Key, Latest: run.MaxBy(activity => activity.From)!, Earliest: run.MinBy(activity => activity.To)!))
                .ToArray();
            for (var i = 0; i < runs.Length; i++)
            for (var j = i + 1; j < runs.Length; j++)
            {
                var (r, s) = (runs[i], runs[j]);
                if (r.Latest.From <= s.Earliest.To || s.Latest.From <= r.Earliest.To) continue;
                yield return ModelViolation.Of(Name, session.Key,
                    $"session '{session.Key}': runs {ModelEntry.Short(r.RunId)} and {ModelEntry.Short(s.RunId)} were both active at one instant " +
                    $"({ModelEntry.Short(r.RunId)} {Show(r.Earliest)} and again {Show(r.Latest)}; {ModelEntry.Short(s.RunId)} {Show(s.Earliest)} and {Show(s.Latest)})",
                    [r.Earliest.Entry, r.Latest.Entry, s.Earliest.Entry, s.Latest.Entry],
                    new[] { r.Earliest, r.Latest, s.Earliest, s.Latest }.Where(activity => activity.Subscriber is not null)
                        .Select(activity => $"{activity.What} of {ModelEntry.Short(activity.RunId)} stamped {RunClock.Format(activity.From + ModelObservations.Stamp)}, seen by {activity.Subscriber!.Describe()}"));
            }
        }
    }

    private static string Show(Activity activity) =>
        activity.Entry is { } entry ? $"({activity.What}, #{entry.Id})" : $"({activity.What} stamped {RunClock.Format(activity.From + ModelObservations.Stamp)})";
}

/// <summary>
/// Acknowledged means recorded. An ending, once acknowledged (finalize answered) or read, is never contradicted: the run
/// is not seen active again, nor ended otherwise. An acknowledged cancel is never forgotten (the run is not later seen
/// running without its cancel requested). An acknowledged reservation is never lost (the session is not later seen on an
/// older run, or on none).
/// </summary>
public sealed class OutcomeNeverContradictedCheck : IModelCheck
{
    public string Name => "acknowledged-never-contradicted";

    public IEnumerable<ModelViolation> Find(ModelRecord record)
    {
        var activities = ModelObservations.Activities(record).ToLookup(activity => (activity.SessionId, activity.RunId));
        foreach (var run in ModelObservations.Endings(record).GroupBy(ending => (ending.SessionId, ending.RunId)))
        {
            var ordered = run.OrderBy(ending => ending.By).ToArray();
            foreach (var ending in ordered)
            {
                var what = ending.Acknowledged ? "acknowledged" : "seen";
                var active = activities[run.Key].Where(activity => activity.From > ending.By).MinBy(activity => activity.From);
                if (active is not null)
                {
                    yield return ModelViolation.Of(Name, run.Key.SessionId,
                        $"session '{run.Key.SessionId}': run {ModelEntry.Short(run.Key.RunId)} ended {ending.Describe()} ({what}: {ending.What}) and was later seen active ({active.What})",
                        [ending.Entry, active.Entry], Details(ending, active));
                    break;
                }
                var other = ordered.Where(later => later.After > ending.By && Differs(ending, later)).MinBy(later => later.After);
                if (other is not null)
                {
                    yield return ModelViolation.Of(Name, run.Key.SessionId,
                        $"session '{run.Key.SessionId}': run {ModelEntry.Short(run.Key.RunId)} ended {ending.Describe()} ({what}: {ending.What}) and was later seen as {other.Describe()} ({other.What})",
                        [ending.Entry, other.Entry], Details(ending, null).Concat(Details(other, null)));
                    break;
                }
            }
        }
        foreach (var violation in CancelsForgotten(record)) yield return violation;
        foreach (var violation in ReservationsLost(record)) yield return violation;
    }

    private IEnumerable<ModelViolation> CancelsForgotten(ModelRecord record)
    {
        foreach (var session in record.BySession)
        {
            var cancels = session.Where(entry => entry is { Kind: OpKind.Cancel, Reply: CancelRequested }).ToArray();
            foreach (var cancel in cancels)
            {
                var runId = ((CancelRequested)cancel.Reply!).RunId;
                var forgotten = session.FirstOrDefault(entry => entry.Start > cancel.End && entry.Reply switch
                {
                    RunnerSnapshot { Status: RunStatus.Running, CancelRequested: false } snapshot => snapshot.RunId == runId,
                    RunRecord { Status: RunStatus.Running, CancelRequested: false } runRecord => runRecord.RunId == runId,
                    _ => false,
                });
                if (forgotten is null) continue;
                yield return ModelViolation.Of(Name, session.Key,
                    $"session '{session.Key}': the cancel of run {ModelEntry.Short(runId)} was acknowledged, and the run was later seen running without its cancel requested",
                    [cancel, forgotten]);
                break;
            }
        }
    }

    private IEnumerable<ModelViolation> ReservationsLost(ModelRecord record)
    {
        var inMemory = record.Options.Topology == Nodes.Topology.Memory;
        foreach (var session in record.BySession)
        {
            var entries = session.ToArray();
            // A grant: the reservation's answer, or the notice that a queued run started (which it did after the reservation was sent).
            var grants = entries.Where(entry => entry.Reply is Reserved && entry.Outcome == Outcome.Replied && entry.Kind is OpKind.Reserve or OpKind.Notice &&
                                                ModelObservations.Counts(entry))
                .Select(entry => (Entry: entry, RunId: ((Reserved)entry.Reply!).RunId, From: entry.Start))
                .ToArray();
            foreach (var (grant, runId, from) in grants)
            {
                // Runs granted strictly before this one (their grant answered before this run can have started).
                var older = grants.Where(other => other.Entry.End < from && other.RunId != runId).Select(other => other.RunId).ToHashSet();
                // In memory, a session that passivated (idle: its runs had ended) comes back without history: none is then legal.
                var lost = entries.FirstOrDefault(entry => entry.Start > grant.End && entry.Reply is RunnerSnapshot { RunId: var shown } &&
                                                           ((shown is null && !inMemory) || (shown is not null && older.Contains(shown))));
                if (lost is null) continue;
                yield return ModelViolation.Of(Name, session.Key,
                    $"session '{session.Key}': run {ModelEntry.Short(runId)} was granted, and later the session was on an older run or none",
                    [grant, lost]);
                break;
            }
        }
    }

    private static bool Differs(Ending first, Ending later) =>
        first.Status != later.Status || (first.Error is not null && later.Error is not null && first.Error != later.Error);

    private static IEnumerable<string> Details(Ending ending, Activity? active)
    {
        if (ending.Subscriber is { } subscriber)
            yield return $"{ending.What} {ending.Describe()} stamped {RunClock.Format(ending.EndedAt ?? ending.By)}, seen by {subscriber.Describe()}";
        if (active?.Subscriber is { } seen)
            yield return $"{active.What} stamped {RunClock.Format(active.From + ModelObservations.Stamp)}, seen by {seen.Describe()}";
    }
}

/// <summary>
/// No run stays running: a run ends by its deadline plus grace, a run whose executor died ends soon after, a run whose
/// worker went quiet ends by its heartbeat timeout — each give or take the time faults took (windows from the fault
/// until the cluster healed) — and without anybody having to touch the session (the quiet period at the end, and the
/// hands-off periods during the load, touch nothing). Evidence: the run seen active, or its recorded end, after the bound.
/// </summary>
public sealed class RunsEndInTimeCheck : IModelCheck
{
    /// <summary>Scheduling and delivery on a loaded machine.</summary>
    public static readonly TimeSpan Slack = TimeSpan.FromSeconds(3);

    public string Name => "no-run-stays-running";

    public IEnumerable<ModelViolation> Find(ModelRecord record)
    {
        var windows = new FaultWindows(record);
        var activities = ModelObservations.Activities(record).ToLookup(activity => (activity.SessionId, activity.RunId));
        var endings = ModelObservations.Endings(record).ToLookup(ending => (ending.SessionId, ending.RunId));
        var grace = record.Profile.DeadlineGrace;
        foreach (var run in record.Runs.Where(run => run.RunId is not null && run.ActiveAt is not null))
        {
            var key = (run.SessionId, run.RunId!);
            var started = run.StartedAt is { } at ? record.Clock.Of(at) : run.ActiveAt!.Value;
            var bounds = new List<(TimeSpan Due, string Why)> { (started + run.Deadline + grace, $"deadline {run.Deadline.TotalSeconds:0.0}s + grace") };
            // A queued run's executor may die (or its worker go quiet) before the run starts: the bound counts from the later.
            if (run.DiedAt is { } died && run.Kind != ExecutorKind.External)
                bounds.Add((Later(died, started), $"executor {run.DeathCause} at {RunClock.Format(died)}"));
            if (run.DiedAt is { } quiet && run.Kind == ExecutorKind.External && run.HeartbeatTimeout is { } timeout)
                bounds.Add((Later(quiet, started) + timeout, $"worker {run.DeathCause} at {RunClock.Format(quiet)}, heartbeat timeout {timeout.TotalSeconds:0.0}s"));
            var (due, why) = bounds.MinBy(bound => bound.Due);
            TimeSpan Bound(TimeSpan seen) => due + Slack + windows.Within(due, seen);

            var late = activities[key].Where(activity => activity.From > Bound(activity.From)).MinBy(activity => activity.From);
            var lateEnd = endings[key].Where(ending => ending.EndedAt is { } endedAt && endedAt > Bound(endedAt)).MinBy(ending => ending.EndedAt);
            if (late is null && lateEnd is null) continue;
            var seenAt = late?.From ?? lateEnd!.EndedAt!.Value;
            var reserve = record.Entries.FirstOrDefault(entry => entry.Id == run.ReservedBy);
            yield return ModelViolation.Of(Name, run.SessionId,
                $"session '{run.SessionId}': run {ModelEntry.Short(run.RunId)} ({run.Kind.ToString().ToLowerInvariant()}) should have ended by " +
                $"{RunClock.Format(Bound(seenAt))} ({why}, started {RunClock.Format(started)}, plus {RunClock.Seconds(Slack)} slack and " +
                $"{RunClock.Seconds(windows.Within(due, seenAt))} of fault windows) but " +
                (late is not null ? $"was still active at {RunClock.Format(late.From)} ({late.What})" : $"ended only at {RunClock.Format(lateEnd!.EndedAt!.Value)} ({lateEnd.Describe()}, {lateEnd.What})"),
                [reserve, late?.Entry, lateEnd?.Entry],
                Touches(record, run, due, seenAt));
        }
    }

    private static TimeSpan Later(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>What touched the session between the bound and the late evidence (nothing, for a run nobody had to touch).</summary>
    private static IEnumerable<string> Touches(ModelRecord record, RunView run, TimeSpan from, TimeSpan to)
    {
        var touches = record.BySession[run.SessionId].Where(entry => entry.IsOperation && entry.Start >= from && entry.Start <= to).ToArray();
        yield return touches.Length == 0
            ? $"nothing touched the session from {RunClock.Format(from)} until {RunClock.Format(to)}"
            : $"{touches.Length} operations touched the session from {RunClock.Format(from)} until {RunClock.Format(to)}, the first #{touches[0].Id} at {RunClock.Format(touches[0].Start)}";
        foreach (var fault in new FaultWindows(record).Overlapping(from, to)) yield return $"fault: {fault.Describe()}";
        var id = Routing.SessionIds.ToEntityId(run.SessionId);
        foreach (var injected in record.Injected.Where(injected => injected.PersistenceId.EndsWith(id, StringComparison.Ordinal) &&
                                                                   injected.At >= from - TimeSpan.FromSeconds(30) && injected.At <= to).Take(5))
            yield return $"journal write fault for the session at {RunClock.Format(injected.At)} on {injected.Node}: {injected.Fault} ({injected.Cause})";
    }
}

/// <summary>
/// A run ends as <c>executor lost</c> (or <c>lost on restart</c>) only when its executor is gone: an executor the harness
/// never stopped, on a node that never crashed or left, keeps its run — a failed write, a hand-off or a restart of the
/// session's runner must not end it.
/// </summary>
public sealed class ExecutorLostOnlyWhenLostCheck : IModelCheck
{
    public string Name => "executor-lost-only-when-lost";

    public IEnumerable<ModelViolation> Find(ModelRecord record)
    {
        var endings = ModelObservations.Endings(record).ToLookup(ending => (ending.SessionId, ending.RunId));
        foreach (var run in record.Runs.Where(run => run.RunId is not null && run.Kind != ExecutorKind.External))
        {
            var lost = endings[(run.SessionId, run.RunId!)]
                .FirstOrDefault(ending => ending.Error is "executor lost" or "lost on restart" &&
                                          (run.DiedAt is null || (ending.EndedAt ?? ending.By) < run.DiedAt.Value - ModelObservations.Stamp));
            if (lost is null) continue;
            yield return ModelViolation.Of(Name, run.SessionId,
                $"session '{run.SessionId}': run {ModelEntry.Short(run.RunId)} ended as '{lost.Error}' ({lost.What}) although its {run.Kind.ToString().ToLowerInvariant()} " +
                $"executor on {run.Node} was alive{(run.DiedAt is { } died ? $" until {RunClock.Format(died)} ({run.DeathCause})" : "")}",
                [record.Entries.FirstOrDefault(entry => entry.Id == run.ReservedBy), lost.Entry],
                lost.Subscriber is { } subscriber ? [$"execution_finished stamped {RunClock.Format(lost.EndedAt ?? lost.By)}, seen by {subscriber.Describe()}"] : null);
        }
    }
}
