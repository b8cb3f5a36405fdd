using System.Diagnostics;
using HdrHistogram;

namespace Bamboo.Actors.Benchmarks.Harness;

/// <summary>The latency distribution of an open-loop run, in microseconds.</summary>
public sealed record Latency(long Started, long Completed, long Refused, long Late, HistogramBase FromIntended, HistogramBase FromSent,
    long Errors = 0, string? FirstError = null)
{
    /// <summary>A percentile (0–100) of the latency measured from each operation's intended start.</summary>
    public double Percentile(double percentile) => FromIntended.GetValueAtPercentile(percentile);

    /// <summary>The largest latency measured from the intended start.</summary>
    public double Max => FromIntended.GetMaxValue();
}

/// <summary>
/// Open-loop load at a fixed rate, free of coordinated omission: operation <c>n</c> is due at <c>start + n / rate</c>
/// whatever happened to the ones before it, and its latency is measured from that intended start, so a stall of the
/// system (or of the generator) shows up in the latency of every operation it delayed.
/// </summary>
public static class OpenLoop
{
    private const long HighestMicros = 60_000_000;

    /// <summary>Issues <paramref name="request"/> at <paramref name="rate"/> per second for <paramref name="duration"/>.</summary>
    /// <param name="request">Starts operation <c>n</c>; completes with true when answered as expected, false when refused.
    /// The second argument must be invoked when the measured round trip has completed.</param>
    public static async Task<Latency> RunAsync(double rate, TimeSpan duration, Func<long, Action, Task<bool>> request)
    {
        var fromIntended = new LongConcurrentHistogram(1, HighestMicros, 3);
        var fromSent = new LongConcurrentHistogram(1, HighestMicros, 3);
        long started = 0, completed = 0, refused = 0, late = 0, inFlight = 0, errors = 0;
        string? firstError = null;
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ticksPerMicro = Stopwatch.Frequency / 1_000_000.0;
        var interval = Stopwatch.Frequency / rate;
        var end = (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var generatorDone = 0;

        async Task One(long n, long intended)
        {
            var sent = Stopwatch.GetTimestamp();
            if (sent - intended > Stopwatch.Frequency / 1000) Interlocked.Increment(ref late);
            try
            {
                var ok = await request(n, () =>
                {
                    var now = Stopwatch.GetTimestamp();
                    fromIntended.RecordValue(Math.Clamp((long)((now - intended) / ticksPerMicro), 1, HighestMicros));
                    fromSent.RecordValue(Math.Clamp((long)((now - sent) / ticksPerMicro), 1, HighestMicros));
                }).ConfigureAwait(false);
                if (!ok) Interlocked.Increment(ref refused);
                Interlocked.Increment(ref completed);
            }
            catch (Exception exception)
            {
                // Counted and reported; it has no latency to record.
                if (Interlocked.Increment(ref errors) == 1) firstError = Report.Describe(exception);
            }
            finally
            {
                if (Interlocked.Decrement(ref inFlight) == 0 && Volatile.Read(ref generatorDone) == 1) drained.TrySetResult();
            }
        }

        // The generator wakes on a 1 ms timer rather than spinning: on a small machine a spinning generator takes a core
        // from the system under test. Operations that fell due meanwhile go out together at the tick, still timed from
        // their intended start, so the generator's own lateness (about a millisecond) is charged to them, never hidden.
        async Task Generate()
        {
            using var pacer = new PeriodicTimer(TimeSpan.FromMilliseconds(1));
            var start = Stopwatch.GetTimestamp();
            long n = 0;
            while (true)
            {
                var now = Stopwatch.GetTimestamp() - start;
                if (now >= end) break;
                var due = (long)(now / interval) + 1;
                for (; n < due; n++)
                {
                    Interlocked.Increment(ref inFlight);
                    started++;
                    _ = One(n, start + (long)(n * interval));
                }
                await pacer.WaitForNextTickAsync().ConfigureAwait(false);
            }
            Volatile.Write(ref generatorDone, 1);
            if (Volatile.Read(ref inFlight) == 0) drained.TrySetResult();
        }

        await Task.Run(Generate).ConfigureAwait(false);
        await drained.Task.WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        return new Latency(started, completed, refused, late, fromIntended, fromSent, Interlocked.Read(ref errors), firstError);
    }
}
