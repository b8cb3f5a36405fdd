using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Checks;

/// <summary>The printed verdict of a run: seed and recipe, faults, every violation with its evidence, the figures.</summary>
public static class ChaosReport
{
    private const int EvidenceShown = 12;

    public static string Write(ChaosRecord record, IReadOnlyList<Violation> violations, ChaosFigures figures, string reproduce)
    {
        var text = new StringWriter();
        text.WriteLine($"chaos run: seed {record.Seed}, {record.Recipe}, {record.NodeCount} nodes, started {record.Clock.StartedAt:u}");
        text.WriteLine($"reproduce: {reproduce}");
        text.WriteLine($"fault windows: from the signal until the restarted node answered /healthz + {RunClock.Seconds(record.HealMargin)}");
        text.WriteLine("faults:");
        foreach (var fault in record.Faults) text.WriteLine($"  {fault.Describe()}");
        text.WriteLine();
        text.WriteLine(violations.Count == 0 ? "no violations" : $"{violations.Count} violations:");
        foreach (var check in violations.GroupBy(violation => violation.Check))
        {
            text.WriteLine($"== {check.Key}: {check.Count()}");
            foreach (var violation in check)
            {
                text.WriteLine($"- {violation.Summary}");
                foreach (var entry in violation.Evidence.Take(EvidenceShown)) text.WriteLine($"    {entry.Describe()}");
                if (violation.Evidence.Count > EvidenceShown) text.WriteLine($"    … and {violation.Evidence.Count - EvidenceShown} more");
                foreach (var detail in violation.Details) text.WriteLine($"    {detail}");
            }
        }
        text.WriteLine();
        text.WriteLine($"summary (seed {record.Seed}, {record.Recipe}):");
        foreach (var line in figures.Lines()) text.WriteLine($"  {line}");
        return text.ToString();
    }
}
