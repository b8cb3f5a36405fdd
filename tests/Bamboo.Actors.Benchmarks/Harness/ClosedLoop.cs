using System.Diagnostics;

namespace Bamboo.Actors.Benchmarks.Harness;

/// <summary>The result of one closed-loop measurement window.</summary>
/// <param name="Operations">Operations completed in the window.</param>
/// <param name="Elapsed">Length of the window.</param>
/// <param name="Failures">Operations whose outcome was not the expected one (e.g. a reservation refused).</param>
/// <param name="CpuPercent">Process CPU time over the window, as a percentage of all cores.</param>
/// <param name="AllocatedBytes">Bytes allocated by the whole process during the window.</param>
/// <param name="Gen0">Gen-0 collections during the window.</param>
/// <param name="Gen2">Gen-2 collections during the window.</param>
/// <param name="MachineCpuPercent">CPU time of the whole machine (every process, e.g. a database server) over the window,
/// as a percentage of all cores; NaN where <c>/proc/stat</c> is not available.</param>
/// <param name="Errors">Operations that threw (e.g. a request timeout) over the whole run, warm-up included.</param>
/// <param name="FirstError">The first of those, as "type: message".</param>
/// <param name="EntryMessages">Messages the runner supervisor and the session shard region handled during the window
/// (see <see cref="CountingMailbox"/>).</param>
public sealed record Throughput(long Operations, TimeSpan Elapsed, long Failures, double CpuPercent, long AllocatedBytes, int Gen0, int Gen2,
    double MachineCpuPercent = double.NaN, long Errors = 0, string? FirstError = null, long EntryMessages = 0)
{
    /// <summary>Messages through the supervisor and the shard region per operation.</summary>
    public double EntryMessagesPerOperation => Operations == 0 ? double.NaN : (double)EntryMessages / Operations;

    /// <summary>What threw, in one line ("N operation(s) threw … (first: …)"); null when nothing did.</summary>
    public string? ErrorSummary => Errors == 0 ? null
        : $"{Errors:N0} operation(s) threw during the run, warm-up included (first: {FirstError})";

    /// <summary>Operations per second.</summary>
    public double PerSecond => Operations / Elapsed.TotalSeconds;

    /// <summary>Process CPU time per operation, in microseconds: the work an operation costs, which (unlike the rate) does
    /// not drop just because other processes took the cores.</summary>
    public double CpuMicrosPerOperation => Operations == 0 ? double.NaN
        : CpuPercent / 100 * Environment.ProcessorCount * Elapsed.TotalSeconds * 1e6 / Operations;

    /// <summary>Process-wide allocation per operation.</summary>
    public double BytesPerOperation => Operations == 0 ? double.NaN : (double)AllocatedBytes / Operations;
}

/// <summary>
/// Closed-loop load: <c>drivers</c> concurrent loops, each owning every <c>drivers</c>-th key (so no two drivers ever
/// touch the same session at once), each starting its next operation when the previous one completes. A warm-up runs
/// first (JIT, tiering, first touch of every session); then completions are counted over the measurement window.
/// </summary>
public static class ClosedLoop
{
    /// <summary>Runs <paramref name="operation"/> in a closed loop over <paramref name="keys"/>.</summary>
    /// <param name="operation">One operation on one key; returns false for an unexpected outcome.</param>
    public static async Task<Throughput> RunAsync(string[] keys, int drivers, TimeSpan warmup, TimeSpan measure,
        Func<string, ValueTask<bool>> operation)
    {
        var completed = new PaddedCounter[drivers];
        var failed = new long[drivers];
        long errors = 0;
        string? firstError = null;
        using var stop = new CancellationTokenSource();
        var loops = Enumerable.Range(0, drivers).Select(driver => Task.Run(async () =>
        {
            var index = driver;
            while (!stop.IsCancellationRequested)
            {
                bool ok;
                try
                {
                    ok = await operation(keys[index]).ConfigureAwait(false);
                }
                catch (Exception exception)
                {
                    // Counted, and the driver goes on: one lost reply must not void the whole measurement.
                    ok = false;
                    if (Interlocked.Increment(ref errors) == 1) firstError = Report.Describe(exception);
                }
                if (!ok) Interlocked.Increment(ref failed[driver]);
                Interlocked.Increment(ref completed[driver].Value);
                index += drivers;
                if (index >= keys.Length) index = driver;
            }
        })).ToArray();

        await Task.Delay(warmup).ConfigureAwait(false);
        var samples = new List<Sample> { Sample.Take(completed, failed) };
        Report.Progress($"  warm-up: {samples[0].Completed:N0} operations");
        for (var window = 0; window < Windows; window++)
        {
            await Task.Delay(measure / Windows).ConfigureAwait(false);
            samples.Add(Sample.Take(completed, failed));
        }
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(loops).ConfigureAwait(false);

        // The median window: other processes on a shared machine steal the cores in bursts, which a single long window
        // averages in and a median of several shorter ones mostly leaves out.
        var windows = samples.Zip(samples.Skip(1), (from, to) => to.Since(from)).OrderBy(w => w.PerSecond).ToList();
        var median = windows[windows.Count / 2];
        Report.Progress($"  measured: {samples[^1].Completed - samples[0].Completed:N0} operations in {Windows} windows, " +
                        $"median {median.PerSecond:N0}/s (min {windows[0].PerSecond:N0}, max {windows[^1].PerSecond:N0})");
        return median with { Errors = Interlocked.Read(ref errors), FirstError = firstError };
    }

    /// <summary>Measurement windows per run; the median one is reported.</summary>
    public const int Windows = 5;

    private struct PaddedCounter
    {
        public long Value;
#pragma warning disable CS0169 // padding keeps each driver's counter on its own cache line
        private long _p1, _p2, _p3, _p4, _p5, _p6, _p7;
#pragma warning restore CS0169
    }

    private sealed record Sample(long Completed, long Failed, long Timestamp, TimeSpan Cpu, long Allocated, int Gen0, int Gen2,
        (long Busy, long Total)? Machine, long Entry)
    {
        public static Sample Take(PaddedCounter[] completed, long[] failed) => new(
            completed.Sum(c => Volatile.Read(ref c.Value)),
            failed.Sum(f => Volatile.Read(ref f)),
            Stopwatch.GetTimestamp(),
            Process.GetCurrentProcess().TotalProcessorTime,
            GC.GetTotalAllocatedBytes(precise: false),
            GC.CollectionCount(0),
            GC.CollectionCount(2),
            MachineCpu.Read(),
            CountingMailbox.Entry);

        public Throughput Since(Sample start)
        {
            var elapsed = Stopwatch.GetElapsedTime(start.Timestamp, Timestamp);
            var cpu = (Cpu - start.Cpu).TotalSeconds / elapsed.TotalSeconds / Environment.ProcessorCount * 100;
            var machine = (Machine, start.Machine) is ({ } to, { } from) && to.Total > from.Total
                ? 100.0 * (to.Busy - from.Busy) / (to.Total - from.Total)
                : double.NaN;
            return new Throughput(Completed - start.Completed, elapsed, Failed - start.Failed, cpu,
                Allocated - start.Allocated, Gen0 - start.Gen0, Gen2 - start.Gen2, machine, EntryMessages: Entry - start.Entry);
        }
    }
}
