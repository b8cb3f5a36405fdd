using System.Globalization;
using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Checks;

/// <summary>A run's figures: how much happened (so a pass is not vacuous) and how long outages lasted.</summary>
public sealed record ChaosFigures
{
    public required int Requests { get; init; }
    public required IReadOnlyDictionary<RequestKind, int> RequestsByKind { get; init; }
    public required int Unavailable { get; init; }
    public required int RunsGranted { get; init; }
    public required IReadOnlyDictionary<string, int> RunsEnded { get; init; }
    public required int DeadlineEnded { get; init; }
    public required int StaleRejected { get; init; }
    public required IReadOnlyDictionary<FaultKind, int> Faults { get; init; }
    public required int Restarts { get; init; }
    public required int FirstSeedRestarts { get; init; }
    public required IReadOnlyList<TimeSpan> RestartToHealthy { get; init; }
    public required IReadOnlyList<TimeSpan> RestartToServing { get; init; }
    public required SessionOutage? LongestOutage { get; init; }
    public required TimeSpan? MedianOutage { get; init; }
    public required int SessionsAffected { get; init; }
    public required int SeveralWriters { get; init; }
    public required int Violations { get; init; }
    public required TimeSpan LoadDuration { get; init; }

    public int Completed => RunsEnded.GetValueOrDefault("completed");

    public static ChaosFigures Of(ChaosRecord record, IReadOnlyList<Violation> violations)
    {
        var entries = record.Entries;
        var granted = entries.Where(entry => entry is { Kind: RequestKind.Reserve, Status: 201 or 202 } or { Kind: RequestKind.StartRun, Status: 202 })
            .Select(entry => entry.Reply("runId")).OfType<string>().Distinct().Count();
        // A run's status as last read (a run read differently twice is a violation of its own).
        var ended = Observations.Endings(entries).GroupBy(ending => ending.RunId).Select(run => run.MaxBy(ending => ending.Entry.End)!).ToArray();
        var restarted = record.Faults.Where(fault => fault.RestartedAt is not null).ToArray();
        var outages = Outages(record).ToArray();
        return new ChaosFigures
        {
            Requests = entries.Count,
            RequestsByKind = entries.GroupBy(entry => entry.Kind).ToDictionary(kind => kind.Key, kind => kind.Count()),
            Unavailable = entries.Count(entry => entry.Unavailable),
            RunsGranted = granted,
            RunsEnded = ended.GroupBy(ending => ending.Status).ToDictionary(status => status.Key, status => status.Count()),
            DeadlineEnded = ended.Count(ending => ending.Error == "deadline exceeded"),
            StaleRejected = entries.Count(entry => entry.Request.Purpose == "stale" && entry.Status == 409),
            Faults = record.Faults.GroupBy(fault => fault.Kind).ToDictionary(kind => kind.Key, kind => kind.Count()),
            Restarts = restarted.Length,
            FirstSeedRestarts = restarted.Count(fault => fault.Node == 1),
            RestartToHealthy = restarted.Where(fault => fault.HealthyAt is not null).Select(fault => fault.HealthyAt!.Value - fault.RestartedAt!.Value).ToArray(),
            RestartToServing = restarted.Where(fault => fault.ServingAt is not null).Select(fault => fault.ServingAt!.Value - fault.RestartedAt!.Value).ToArray(),
            LongestOutage = outages.MaxBy(outage => outage.Length),
            MedianOutage = outages.Length == 0 ? null : outages.Select(outage => outage.Length).Order().ElementAt(outages.Length / 2),
            SessionsAffected = outages.Length,
            SeveralWriters = JournalWriterCheck.SeveralWriters(record.Journal),
            Violations = violations.Count,
            LoadDuration = record.LoadStopped - record.LoadStarted,
        };
    }

    /// <summary>
    /// For each fault and each session that a node failed to answer after the kill (and before the next fault): the time
    /// from the kill to the session's first answer after that failure. Failures that say nothing about the session are
    /// left out: a request to a node killed while it was in flight, or to the restarted node before it served again.
    /// </summary>
    private static IEnumerable<SessionOutage> Outages(ChaosRecord record)
    {
        var bySession = record.Entries.ToLookup(entry => entry.SessionId);
        var faults = record.Faults.OrderBy(fault => fault.At).ToArray();
        for (var i = 0; i < faults.Length; i++)
        {
            var fault = faults[i];
            var (from, to) = fault.Window(record.HealMargin, record.Ended);
            // A failure belongs to the latest fault before it.
            if (i + 1 < faults.Length && faults[i + 1].At < to) to = faults[i + 1].At;
            foreach (var session in bySession)
            {
                var failure = session.Where(entry => entry.Unavailable && entry.Start >= from && entry.Start <= to && !NodeWasDown(entry, faults))
                    .MinBy(entry => entry.Start);
                if (failure is null) continue;
                var answered = session.Where(entry => !entry.Unavailable && entry.Status < 500 && entry.Start >= failure.Start)
                    .MinBy(entry => entry.End);
                yield return new SessionOutage(session.Key, fault.Node, (answered?.End ?? record.Ended) - from);
            }
        }
    }

    /// <summary>Whether the entry's own node was killed while it was in flight, or had not served again since a restart.</summary>
    private static bool NodeWasDown(HistoryEntry entry, IEnumerable<FaultRecord> faults) =>
        faults.Any(fault => fault.Node == entry.Node && fault.At <= entry.End && entry.Start <= (fault.ServingAt ?? TimeSpan.MaxValue));

    public IEnumerable<string> Lines()
    {
        string Range(IReadOnlyList<TimeSpan> values) => values.Count == 0 ? "n/a" : $"{RunClock.Seconds(values.Min())}-{RunClock.Seconds(values.Max())}";
        string Count<T>(IReadOnlyDictionary<T, int> counts) where T : notnull =>
            string.Join(", ", counts.OrderBy(pair => pair.Key.ToString(), StringComparer.Ordinal).Select(pair => $"{pair.Key} {pair.Value}"));
        yield return $"load: {RunClock.Seconds(LoadDuration)}; requests: {Requests} ({Count(RequestsByKind)}); unanswered or 503: {Unavailable}";
        yield return $"runs: {RunsGranted} granted; ended as last read: {Count(RunsEnded)}; {DeadlineEnded} ended by their deadline; " +
                     $"stale finalizes/events refused (409): {StaleRejected}";
        yield return $"faults: {Count(Faults)}; restarts: {Restarts} ({FirstSeedRestarts} of node1, the first seed)";
        yield return $"restart to /healthz: {Range(RestartToHealthy)}; restart to serving sessions again: {Range(RestartToServing)}";
        yield return LongestOutage is { } longest
            ? $"longest session outage: {RunClock.Seconds(longest.Length)} ('{longest.SessionId}', node{longest.Node} down); " +
              $"{SessionsAffected} sessions unavailable after a fault, median outage {RunClock.Seconds(MedianOutage!.Value)}"
            : "longest session outage: none seen";
        yield return $"journal: {SeveralWriters} persistence ids written by more than one writer (one after the other is normal)";
        yield return string.Create(CultureInfo.InvariantCulture, $"violations: {Violations}");
    }
}
