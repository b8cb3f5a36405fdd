using System.Globalization;
using Bamboo.Actors.Chaos.History;
using Bamboo.Actors.Chaos.Model.Faults;
using Bamboo.Actors.Chaos.Model.Records;
using Bamboo.Actors.Events;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Chaos.Model.Checks;

/// <summary>Times of one kind: how many, median, 99th percentile, longest.</summary>
public sealed record Spread(int Count, TimeSpan Median, TimeSpan P99, TimeSpan Max)
{
    public static Spread? Of(IEnumerable<TimeSpan> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return null;
        TimeSpan At(double quantile) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(quantile * sorted.Length) - 1)];
        return new Spread(sorted.Length, At(0.5), At(0.99), sorted[^1]);
    }

    public override string ToString() =>
        $"{Count} × median {RunClock.Seconds(Median)}, p99 {RunClock.Seconds(P99)}, max {RunClock.Seconds(Max)}";
}

/// <summary>A model run's figures: how much happened (so a pass is not vacuous), the faults by kind, and how long
/// sessions took to answer again after each kind of fault.</summary>
public sealed record ModelFigures
{
    public required int Operations { get; init; }
    public required IReadOnlyDictionary<string, int> ByKind { get; init; }
    public required IReadOnlyDictionary<string, int> Reservations { get; init; }
    public required IReadOnlyDictionary<string, int> Purposes { get; init; }
    public required IReadOnlyDictionary<string, int> Replies { get; init; }
    public required int TimedOut { get; init; }
    public required int Unavailable { get; init; }
    public required IReadOnlyDictionary<string, int> Faults { get; init; }
    public required IReadOnlyDictionary<string, int> RunEndings { get; init; }
    public required int Subscribers { get; init; }
    public required int EventsReceived { get; init; }
    public required IReadOnlyDictionary<string, Spread> Recovery { get; init; }
    public required IReadOnlyDictionary<string, int> ViolationsByCheck { get; init; }
    public required int Violations { get; init; }
    public required TimeSpan LoadDuration { get; init; }
    public required TimeSpan Duration { get; init; }
    public required int LogWarnings { get; init; }
    public required int LogErrors { get; init; }
    public required int Stalls { get; init; }
    public required TimeSpan LongestStall { get; init; }

    public int Fault(string kind) => Faults.GetValueOrDefault(kind);

    public static ModelFigures Of(ModelRecord record, IReadOnlyList<ModelViolation> violations)
    {
        var operations = record.Entries.Where(entry => entry.IsOperation).ToArray();
        var load = operations.Where(entry => entry.Start < record.LoadStopped).ToArray();
        var faults = new Dictionary<string, int>(StringComparer.Ordinal);
        void Count(string kind, int n = 1) => faults[kind] = faults.GetValueOrDefault(kind) + n;
        foreach (var fault in record.Faults) Count("node " + fault.Kind.ToString().ToLowerInvariant() switch { "outage" => "store outage", var k => k });
        foreach (var injected in record.Injected.Where(injected => injected.Cause == "random")) Count($"journal write {injected.Fault.ToString().ToLowerInvariant()}");
        // Not injected: what the store, the breaker's call timeout or the open breaker failed by itself.
        foreach (var observed in record.Injected.Where(injected => injected.Cause is "store" or "call timeout" or "breaker open"))
            Count($"journal write {observed.Fault.ToString().ToLowerInvariant()}ed by itself ({observed.Cause})");
        foreach (var run in record.Runs.Where(run => run.DiedAt is not null)) Count($"executor {run.DeathCause}");
        Count("shard lease lost by a live node", record.LostLeases.Count);
        Count("subscriber killed", record.Subscribers.Count(subscriber => subscriber.CloseReason == "killed"));
        Count("subscriber lost with its node", record.Subscribers.Count(subscriber => subscriber.CloseReason is "node crashed" or "node left"));
        foreach (var key in faults.Where(pair => pair.Value == 0).Select(pair => pair.Key).ToArray()) faults.Remove(key);

        // Each run's ending as last seen.
        var endings = ModelObservations.Endings(record).GroupBy(ending => (ending.SessionId, ending.RunId))
            .Select(run => run.MaxBy(ending => ending.By)!)
            .GroupBy(ending => ending.Error is null ? ending.Status.ToString().ToLowerInvariant() : $"error: {ending.Error}")
            .ToDictionary(group => group.Key, group => group.Count(), StringComparer.Ordinal);

        return new ModelFigures
        {
            Operations = operations.Length,
            ByKind = Counts(operations.Select(entry => entry.Kind.ToString())),
            Reservations = Counts(operations.Where(entry => entry.Kind == OpKind.Reserve).Select(entry => string.Join(" ", entry.Args.Split(", ").Take(2)))),
            Purposes = Counts(operations.Where(entry => entry.Kind is OpKind.Finalize or OpKind.Cancel or OpKind.Publish or OpKind.Subscribe)
                .Select(entry => $"{entry.Kind} {entry.Purpose}{(entry.Kind == OpKind.Subscribe ? entry.Args.StartsWith("after", StringComparison.Ordinal) ? " with cursor" : " without cursor" : "")}")),
            Replies = Counts(operations.Select(entry => entry.Outcome == Outcome.Replied && entry.Reply is { } reply ? reply.GetType().Name : entry.Outcome.ToString())),
            TimedOut = operations.Count(entry => entry.Outcome == Outcome.TimedOut),
            Unavailable = operations.Count(entry => entry.Outcome == Outcome.Unavailable),
            Faults = faults,
            RunEndings = endings,
            Subscribers = record.Subscribers.Count,
            EventsReceived = record.Subscribers.Sum(subscriber => subscriber.Events.Count),
            Recovery = RecoveryTimes(record, load),
            ViolationsByCheck = Counts(violations.Select(violation => violation.Check)),
            Violations = violations.Count,
            LoadDuration = record.LoadStopped - record.LoadStarted,
            Duration = record.Ended,
            LogWarnings = record.LogWarnings,
            LogErrors = record.LogErrors,
            Stalls = record.Stalls.Count,
            LongestStall = record.Stalls.Select(stall => stall.Length).DefaultIfEmpty().Max(),
        };
    }

    private static IReadOnlyDictionary<string, int> Counts(IEnumerable<string> keys) =>
        keys.GroupBy(key => key, StringComparer.Ordinal).OrderBy(group => group.Key, StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => group.Count(), StringComparer.Ordinal);

    /// <summary>
    /// For each fault, each session a node failed to answer during the fault's window: the time from the fault to the
    /// session's next answer. Failures that say nothing about the session are left out (requests through the faulted node
    /// itself). For each injected write failure: from the failure to the session's next answer. For each executor death and
    /// each vanished worker: from the death to the end of its run.
    /// </summary>
    private static IReadOnlyDictionary<string, Spread> RecoveryTimes(ModelRecord record, IReadOnlyList<ModelEntry> operations)
    {
        var result = new Dictionary<string, Spread>(StringComparer.Ordinal);
        var bySession = operations.ToLookup(entry => entry.SessionId);
        static bool Failed(ModelEntry entry) => entry.Outcome is Outcome.TimedOut or Outcome.Unavailable or Outcome.Failed;
        static bool Answered(ModelEntry entry) => entry.Outcome == Outcome.Replied;

        foreach (var kind in record.Faults.GroupBy(fault => fault.Kind))
        {
            var times = new List<TimeSpan>();
            foreach (var fault in kind)
            {
                var (from, to) = fault.Window(FaultWindows.Margin, record.Ended);
                var own = fault.Slot == 0 ? null : $"n{fault.Slot}.";
                foreach (var session in bySession)
                {
                    var failure = session.Where(entry => Failed(entry) && entry.Start >= from && entry.Start <= to &&
                                                         (own is null || !entry.Via.StartsWith(own, StringComparison.Ordinal))).MinBy(entry => entry.Start);
                    if (failure is null) continue;
                    var answered = session.Where(entry => Answered(entry) && entry.Start >= failure.Start).MinBy(entry => entry.End);
                    if (answered is not null) times.Add(answered.End - from);
                }
            }
            if (Spread.Of(times) is { } spread) result[$"node {kind.Key.ToString().ToLowerInvariant()}".Replace("node outage", "store outage", StringComparison.Ordinal)] = spread;
        }

        var writeFailures = new List<TimeSpan>();
        foreach (var injected in record.Injected.Where(injected => injected is { Cause: "random", Fault: WriteFault.Fail or WriteFault.Reject }))
        {
            var sessionId = SessionOf(injected.PersistenceId);
            if (sessionId is null) continue;
            var failure = bySession[sessionId].Where(entry => entry.Outcome == Outcome.Unavailable && entry.End >= injected.At && entry.Start <= injected.At + TimeSpan.FromSeconds(1))
                .MinBy(entry => entry.Start);
            if (failure is null) continue;
            var answered = bySession[sessionId].Where(entry => Answered(entry) && entry.Start >= failure.End).MinBy(entry => entry.End);
            if (answered is not null) writeFailures.Add(answered.End - injected.At);
        }
        if (Spread.Of(writeFailures) is { } writes) result["journal write failure"] = writes;

        var endings = ModelObservations.Endings(record).ToLookup(ending => (ending.SessionId, ending.RunId));
        TimeSpan? EndOf(RunView run) =>
            endings[(run.SessionId, run.RunId!)].Select(ending => ending.EndedAt ?? ending.By).DefaultIfEmpty(TimeSpan.MaxValue).Min() is var end && end != TimeSpan.MaxValue ? end : null;
        var died = record.Runs.Where(run => run is { RunId: not null, ActiveAt: not null, DiedAt: not null, Finalized: null } && run.Kind != ExecutorKind.External)
            .Select(run => EndOf(run) - run.DiedAt).OfType<TimeSpan>().Where(span => span >= TimeSpan.Zero);
        if (Spread.Of(died) is { } executors) result["executor died → run ended"] = executors;
        var vanished = record.Runs.Where(run => run is { RunId: not null, ActiveAt: not null, DiedAt: not null, Finalized: null, HeartbeatTimeout: not null } &&
                                                run.Kind == ExecutorKind.External)
            .Select(run => EndOf(run) - run.DiedAt).OfType<TimeSpan>().Where(span => span >= TimeSpan.Zero);
        if (Spread.Of(vanished) is { } workers) result["worker went quiet → heartbeat timeout ended the run"] = workers;
        return result;
    }

    private static string? SessionOf(string persistenceId) =>
        persistenceId.StartsWith("bamboo-session-", StringComparison.Ordinal)
            ? Routing.SessionIds.FromEntityId(persistenceId["bamboo-session-".Length..])
            : null;

    public IEnumerable<string> Lines()
    {
        static string Join(IReadOnlyDictionary<string, int> counts) => string.Join(", ", counts.Select(pair => $"{pair.Key} {pair.Value}"));
        yield return string.Create(CultureInfo.InvariantCulture,
            $"operations: {Operations} in {RunClock.Seconds(LoadDuration)} of load ({RunClock.Seconds(Duration)} in all); timed out {TimedOut}, unavailable {Unavailable}");
        yield return $"by kind: {Join(ByKind)}";
        yield return $"reservations: {Join(Reservations)}";
        yield return $"targets: {Join(Purposes)}";
        yield return $"answers: {Join(Replies)}";
        yield return $"faults: {Join(Faults)}";
        yield return $"runs ended (as last seen): {Join(RunEndings)}";
        yield return $"subscribers: {Subscribers}, events received {EventsReceived}";
        foreach (var (kind, spread) in Recovery) yield return $"answering again after {kind}: {spread}";
        yield return $"node logs: {LogWarnings} warnings, {LogErrors} errors; process stalls of 1 s or more: {Stalls} (longest {RunClock.Seconds(LongestStall)})";
        yield return Violations == 0 ? "violations: 0" : $"violations: {Violations} ({Join(ViolationsByCheck)})";
    }
}
