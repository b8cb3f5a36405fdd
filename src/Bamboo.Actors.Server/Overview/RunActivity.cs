using System.Diagnostics.Metrics;
using Bamboo.Actors.Diagnostics;

namespace Bamboo.Actors.Server.Overview;

/// <summary>
/// Runs started and ended per minute over the last hour, and runs active: read from the <c>Bamboo.Actors</c> meter with a
/// <see cref="MeterListener"/>, so the overview counts exactly what <c>/metrics</c> counts (<c>bamboo.runs.started</c>,
/// <c>bamboo.runs.finished{status}</c>, <c>bamboo.runs.active</c>): the runs of the session runners in this process.
/// A ring of one bucket per minute; a measurement costs a lock and an increment, a read copies 60 buckets.
/// </summary>
internal sealed class RunActivity : IDisposable
{
    /// <summary>Minutes kept (the current one included).</summary>
    public const int Minutes = 60;

    // Names, not the instruments: the listener is called while BambooMetrics creates them (its type initializer).
    private const string Started = "bamboo.runs.started";
    private const string Finished = "bamboo.runs.finished";
    private const string Active = "bamboo.runs.active";
    private static readonly HashSet<string> Instruments = [Started, Finished, Active];

    private readonly TimeProvider _time;
    private readonly MeterListener _listener;
    private readonly Bucket[] _buckets = new Bucket[Minutes];
    private readonly Lock _lock = new();
    private long _active;

    public RunActivity(TimeProvider time)
    {
        _time = time;
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == BambooMetrics.MeterName && Instruments.Contains(instrument.Name))
                    listener.EnableMeasurementEvents(instrument);
            },
        };
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.Start();
    }

    /// <summary>The last <see cref="Minutes"/> minutes, oldest first, the current (partial) minute last.</summary>
    public ActivitySnapshot Read()
    {
        var now = MinuteOf(_time.GetUtcNow());
        var minutes = new MinuteCounts[Minutes];
        lock (_lock)
        {
            for (var i = 0; i < Minutes; i++)
            {
                var minute = now - (Minutes - 1) + i;
                var bucket = _buckets[Index(minute)];
                minutes[i] = bucket.Minute == minute
                    ? new MinuteCounts(StartOf(minute), bucket.Starts, bucket.Completed, bucket.Cancelled, bucket.Failed)
                    : new MinuteCounts(StartOf(minute), 0, 0, 0, 0);
            }
            // Other instances of the meter's runners in this process (another server in a test host) may have had runs
            // active before this listener started: their ends must not take the gauge below zero.
            return new ActivitySnapshot(Math.Max(0, _active), minutes);
        }
    }

    public void Dispose() => _listener.Dispose();

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (instrument.Name == Active)
        {
            Interlocked.Add(ref _active, value);
            return;
        }
        string? status = null;
        foreach (var tag in tags)
        {
            if (tag.Key == "status") status = tag.Value as string;
        }
        var minute = MinuteOf(_time.GetUtcNow());
        lock (_lock)
        {
            ref var bucket = ref _buckets[Index(minute)];
            if (bucket.Minute != minute) bucket = new Bucket { Minute = minute };
            if (instrument.Name == Started) bucket.Starts += value;
            else if (status == "completed") bucket.Completed += value;
            else if (status == "cancelled") bucket.Cancelled += value;
            else bucket.Failed += value;
        }
    }

    private static long MinuteOf(DateTimeOffset time) => time.ToUnixTimeSeconds() / 60;

    private static DateTimeOffset StartOf(long minute) => DateTimeOffset.FromUnixTimeSeconds(minute * 60);

    private static int Index(long minute) => (int)(minute % Minutes);

    private struct Bucket
    {
        public long Minute;
        public long Starts;
        public long Completed;
        public long Cancelled;
        public long Failed;
    }
}

/// <summary>Runs active now and the per-minute counts of the last hour.</summary>
internal sealed record ActivitySnapshot(long RunsActive, IReadOnlyList<MinuteCounts> Minutes);
