using Bamboo.Actors.Chaos.Model.Records;

namespace Bamboo.Actors.Chaos.Model.Checks;

/// <summary>A broken promise with the operations that prove it (the shortest excerpt) and anything else that shows it.</summary>
/// <param name="Check">The check that found it.</param>
/// <param name="SessionId">The session, when it is about one.</param>
/// <param name="Summary">What is wrong, in one sentence.</param>
/// <param name="Evidence">The entries that prove it, in time order.</param>
/// <param name="Details">Other lines that prove it (subscriber events, fault windows).</param>
public sealed record ModelViolation(string Check, string? SessionId, string Summary, IReadOnlyList<ModelEntry> Evidence, IReadOnlyList<string> Details)
{
    public static ModelViolation Of(string check, string? sessionId, string summary, IEnumerable<ModelEntry?> evidence, IEnumerable<string>? details = null) =>
        new(check, sessionId, summary,
            evidence.OfType<ModelEntry>().Distinct().OrderBy(entry => entry.Start).ThenBy(entry => entry.Id).ToArray(),
            details?.ToArray() ?? []);
}

/// <summary>One promise, checked against a model run's record.</summary>
public interface IModelCheck
{
    string Name { get; }

    IEnumerable<ModelViolation> Find(ModelRecord record);
}

/// <summary>Every check, in report order.</summary>
public static class ModelChecks
{
    public static IReadOnlyList<IModelCheck> All { get; } =
    [
        new OneActiveRunCheck(),
        new OutcomeNeverContradictedCheck(),
        new RunsEndInTimeCheck(),
        new ExecutorLostOnlyWhenLostCheck(),
        new EveryCommandAnsweredCheck(),
        new ExecutorToldCheck(),
        new ReachesItsOwnActorCheck(),
        new SubscriberOrderCheck(),
        new SequenceIdentityCheck(),
        new SequenceNeverBackCheck(),
        new CursorReplayCheck(),
        new SettledAndAgreedCheck(),
        new GaugeCheck(),
    ];

    public static IReadOnlyList<ModelViolation> Judge(ModelRecord record) => All.SelectMany(check => check.Find(record)).ToArray();
}

/// <summary>The windows in which a fault explains missing answers and late endings.</summary>
public sealed class FaultWindows
{
    /// <summary>
    /// How long after a fault healed its effects may still show: shards rebalancing onto a node that came back (one round
    /// every 2 s, a few shards a round, each hand-off recovering its sessions and watching their executors again),
    /// breakers resetting.
    /// </summary>
    public static readonly TimeSpan Margin = TimeSpan.FromSeconds(10);

    /// <summary>How long after the whole process stalled its timers and heartbeats may still be catching up.</summary>
    public static readonly TimeSpan StallMargin = TimeSpan.FromSeconds(2);

    private readonly (TimeSpan From, TimeSpan To, ModelFault Fault)[] _windows;

    /// <summary>The faults' windows, and the process's stalls (every node stood still: no timer, no answer).</summary>
    public FaultWindows(ModelRecord record)
    {
        var faults = record.Faults.Select(fault =>
        {
            var (from, to) = fault.Window(Margin, record.Ended);
            return (from, to, fault);
        });
        var stalls = record.Stalls.Select(stall =>
            (stall.At, stall.At + stall.Length + StallMargin, new ModelFault(ModelFaultKind.Stall, 0, stall.At) { HealedAt = stall.At + stall.Length }));
        _windows = faults.Concat(stalls).OrderBy(window => window.Item1).ToArray();
    }

    public IEnumerable<ModelFault> Overlapping(TimeSpan from, TimeSpan to) =>
        _windows.Where(window => window.From <= to && window.To >= from).Select(window => window.Fault);

    /// <summary>How much of [<paramref name="from"/>, <paramref name="to"/>] lies in some fault window.</summary>
    public TimeSpan Within(TimeSpan from, TimeSpan to)
    {
        var total = TimeSpan.Zero;
        var covered = from;
        foreach (var (start, end, _) in _windows)
        {
            var a = start > covered ? start : covered;
            var b = end < to ? end : to;
            if (b > a)
            {
                total += b - a;
                covered = b;
            }
        }
        return total;
    }
}
