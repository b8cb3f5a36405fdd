using System.Diagnostics.Metrics;
using Bamboo.Actors.Diagnostics;

namespace Bamboo.Actors.History;

/// <summary>Instruments of the read model, on the <see cref="BambooMetrics.MeterName"/> meter.</summary>
public static class HistoryMetrics
{
    private static readonly Meter Meter = new(BambooMetrics.MeterName);

    /// <summary><c>bamboo.history.lag</c>: milliseconds from a fact's write to the journal to the commit of the read-model
    /// batch that applied it.</summary>
    public static readonly Histogram<double> Lag =
        Meter.CreateHistogram<double>("bamboo.history.lag", "ms", "Time from a fact's journal write to its read-model row");

    /// <summary><c>bamboo.history.facts</c>: facts applied to the read model.</summary>
    public static readonly Counter<long> FactsApplied =
        Meter.CreateCounter<long>("bamboo.history.facts", "{fact}", "Facts applied to the read model");
}
