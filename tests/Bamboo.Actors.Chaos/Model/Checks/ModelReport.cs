using Bamboo.Actors.Chaos.History;
using Bamboo.Actors.Chaos.Model.Records;

namespace Bamboo.Actors.Chaos.Model.Checks;

/// <summary>
/// The printed verdict of a model run: seed, shape and the command that reruns it, the faults, every violation with the
/// entries that prove it and the shortest excerpt of its session's history around them, then the figures.
/// </summary>
public static class ModelReport
{
    private const int ExcerptLines = 24;

    public static string Write(ModelRecord record, IReadOnlyList<ModelViolation> violations, ModelFigures figures)
    {
        var options = record.Options;
        var text = new StringWriter();
        text.WriteLine($"model run: seed {options.Seed}, {options.Topology.ToString().ToLowerInvariant()}, {record.Store}, {options.Sessions} sessions, " +
                       $"{options.Clients} clients, started {record.Clock.StartedAt:u}");
        text.WriteLine($"reproduce: {options.Reproduce()}");
        text.WriteLine($"load {RunClock.Format(record.LoadStarted)} .. {RunClock.Format(record.LoadStopped)}; untouched from {RunClock.Format(record.QuietFrom)}; " +
                       $"final reads from {RunClock.Format(record.ReadsFrom)}");
        text.WriteLine("faults:");
        foreach (var fault in record.Faults) text.WriteLine($"  {fault.Describe()}");
        foreach (var (at, length) in record.Stalls.Where(stall => stall.Length >= TimeSpan.FromSeconds(2)))
            text.WriteLine($"  (the whole process stalled for {RunClock.Seconds(length)} at {RunClock.Format(at)}: timers late, heartbeats missed)");
        text.WriteLine();
        text.WriteLine(violations.Count == 0 ? "no violations" : $"{violations.Count} violations:");
        foreach (var check in violations.GroupBy(violation => violation.Check))
        {
            text.WriteLine($"== {check.Key}: {check.Count()}");
            foreach (var violation in check.Take(10))
            {
                text.WriteLine($"- {violation.Summary}");
                foreach (var entry in violation.Evidence.Take(12)) text.WriteLine($"    {entry.Describe()}");
                foreach (var detail in violation.Details) text.WriteLine($"    {detail}");
                foreach (var line in Excerpt(record, violation)) text.WriteLine($"      | {line}");
            }
            if (check.Count() > 10) text.WriteLine($"  … and {check.Count() - 10} more");
        }
        text.WriteLine();
        text.WriteLine($"summary (seed {options.Seed}):");
        foreach (var line in figures.Lines()) text.WriteLine($"  {line}");
        return text.ToString();
    }

    /// <summary>The session's history from just before the first piece of evidence to the last one (both ends kept when long).</summary>
    private static IEnumerable<string> Excerpt(ModelRecord record, ModelViolation violation)
    {
        if (violation.SessionId is null || violation.Evidence.Count == 0) yield break;
        var from = violation.Evidence.Min(entry => entry.Start) - TimeSpan.FromSeconds(1);
        var to = violation.Evidence.Max(entry => entry.End);
        var lines = record.BySession[violation.SessionId].Where(entry => entry.End >= from && entry.Start <= to).Select(entry => entry.Describe()).ToArray();
        if (lines.Length <= violation.Evidence.Count) yield break;
        yield return $"history of '{violation.SessionId}' from {RunClock.Format(from)} to {RunClock.Format(to)}:";
        if (lines.Length <= ExcerptLines)
        {
            foreach (var line in lines) yield return line;
            yield break;
        }
        foreach (var line in lines.Take(ExcerptLines / 2)) yield return line;
        yield return $"… {lines.Length - ExcerptLines} more …";
        foreach (var line in lines.TakeLast(ExcerptLines / 2)) yield return line;
    }
}
