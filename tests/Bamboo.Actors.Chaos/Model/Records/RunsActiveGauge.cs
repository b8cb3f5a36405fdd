using System.Diagnostics.Metrics;
using Bamboo.Actors.Diagnostics;

namespace Bamboo.Actors.Chaos.Model.Records;

/// <summary>
/// <c>bamboo.runs.active</c> summed over every node of the process: the meter is one per process, so a listener here
/// sees every node's measurements, and their sum is the sum over the nodes. Also keeps the lowest value it ever had (a
/// run uncounted twice would take it below zero).
/// </summary>
public sealed class RunsActiveGauge : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _value;
    private long _lowest;

    public RunsActiveGauge()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == BambooMetrics.MeterName && instrument.Name == "bamboo.runs.active") listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((_, delta, _, _) =>
        {
            var value = Interlocked.Add(ref _value, delta);
            long lowest;
            while (value < (lowest = Interlocked.Read(ref _lowest)) && Interlocked.CompareExchange(ref _lowest, value, lowest) != lowest)
            {
            }
        });
        _listener.Start();
    }

    public long Value => Interlocked.Read(ref _value);

    public long Lowest => Interlocked.Read(ref _lowest);

    public void Dispose() => _listener.Dispose();
}
