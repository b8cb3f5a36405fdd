using System.Globalization;
using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Processes;

/// <summary>
/// After the load and the faults stop: wait until every deadline and its grace has passed, wait (bounded) until no
/// session has a running or queued run, then read every session through every node.
/// </summary>
/// <param name="healed">When the last fault window closes: busy sessions are waited for at least until then, whatever
/// their age (a run whose executor died with a node ends only once that node is downed).</param>
public sealed class Quiescence(ChaosCluster cluster, RequestHistory history, IReadOnlyList<string> sessions, TimeSpan healed, int seed,
    Action<string> log)
{
    /// <summary>Beyond a run's longest legitimate life, how long quiescence still waits for it (its node may have been lost).</summary>
    private static readonly TimeSpan OverdueMargin = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan SettleBound = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ReadBound = TimeSpan.FromSeconds(20);
    private const int AgreementRounds = 3;

    /// <summary>The server's longest queue (<c>bamboo.runners.max-queue-length</c>).</summary>
    private const int MaxQueueLength = 16;

    private readonly Random _random = new(unchecked(seed * 31 + 5));

    public async Task<IReadOnlyList<SessionFinalRead>> SettleAndReadAsync()
    {
        await Task.Delay(TimeSpan.FromMilliseconds(WorkloadPlan.MaxDeadlineMs) + WorkloadPlan.DeadlineGrace + TimeSpan.FromSeconds(2));
        await SettleAsync();
        return await ReadEverywhereAsync();
    }

    /// <summary>
    /// Reads the sessions until none runs or queues, or every one still running is overdue, or the bound passed (longer
    /// while runs are queued: each may run its whole life after the one before it).
    /// </summary>
    private async Task SettleAsync()
    {
        var start = history.Clock.Now;
        var until = start + SettleBound;
        var pending = sessions.ToList();
        while (pending.Count > 0 && history.Clock.Now < until)
        {
            var reads = await Task.WhenAll(pending.Select(session => ReadAnywhereAsync(session)));
            var unsettled = reads.Where(read => !Settled(read)).ToArray();
            pending = unsettled.Select(read => read.SessionId).ToList();
            if (history.Clock.Now > healed && unsettled.All(Overdue)) break;
            var queued = unsettled.Select(read => read.ReplyNumber("queueLength") ?? 0).DefaultIfEmpty().Max();
            var queue = WorkloadPlan.LongestRun * queued;
            if (history.Clock.Now + queue > until) until = Min(history.Clock.Now + queue, start + SettleBound + WorkloadPlan.LongestRun * MaxQueueLength);
            await Task.Delay(1000);
        }
        log($"{RunClock.Format(history.Clock.Now)} settled: {sessions.Count - pending.Count} of {sessions.Count} sessions idle" +
            (pending.Count > 0 ? $"; still busy: {string.Join(", ", pending.Select(session => $"'{session}'"))}" : ""));
    }

    /// <summary>
    /// Every session through every node (each read retried while unanswered or 503, bounded); sessions whose nodes
    /// disagree are read again (a session may move or recover between two reads), up to a few rounds.
    /// </summary>
    private async Task<IReadOnlyList<SessionFinalRead>> ReadEverywhereAsync()
    {
        var finals = new Dictionary<string, SessionFinalRead>(StringComparer.Ordinal);
        var pending = sessions.ToList();
        for (var round = 1; round <= AgreementRounds && pending.Count > 0; round++)
        {
            var reads = await Task.WhenAll(pending.Select(async session =>
                new SessionFinalRead(session, await Task.WhenAll(cluster.Nodes.Select(node => ReadThroughAsync(node, session))))));
            foreach (var read in reads) finals[read.SessionId] = read;
            pending = reads.Where(read => read.Reads.Select(entry => (entry.Status, entry.Body)).Distinct().Count() > 1)
                .Select(read => read.SessionId).ToList();
            if (pending.Count > 0) await Task.Delay(1000);
        }
        return sessions.Select(session => finals[session]).ToArray();
    }

    private async Task<HistoryEntry> ReadThroughAsync(ServerNode node, string session)
    {
        var until = history.Clock.Now + ReadBound;
        while (true)
        {
            var read = await node.SendAsync(ChaosRequest.ReadSnapshot(session, "final"), history);
            if (!read.Unavailable || history.Clock.Now > until || node.HasExited) return read;
            await Task.Delay(500);
        }
    }

    private async Task<HistoryEntry> ReadAnywhereAsync(string session)
    {
        ServerNode? node;
        lock (_random) node = cluster.RandomUpNode(_random);
        return await (node ?? cluster.Nodes[0]).SendAsync(ChaosRequest.ReadSnapshot(session, "settle"), history);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static bool Settled(HistoryEntry read) =>
        read.Status == 404 || (read.Status == 200 && read.Reply("status") != "running" && read.ReplyNumber("queueLength") == 0);

    /// <summary>Running for longer than any run of the workload may legitimately run (by the server's own start time).</summary>
    private static bool Overdue(HistoryEntry read) =>
        read.Status == 200 && read.Reply("startedAt") is { } started
        && DateTimeOffset.TryParse(started, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var startedAt)
        && DateTimeOffset.UtcNow - startedAt > WorkloadPlan.LongestRun + OverdueMargin;
}
