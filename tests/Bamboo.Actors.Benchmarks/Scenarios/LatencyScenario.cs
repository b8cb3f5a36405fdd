using Bamboo.Actors.Benchmarks.Harness;
using Bamboo.Actors.Benchmarks.Targets;

namespace Bamboo.Actors.Benchmarks.Scenarios;

/// <summary>
/// Scenario 2: reserve round-trip latency under open-loop load at 50% of the maximum cycle throughput measured just
/// before, for the main implementations side by side. Each operation is a whole cycle; its reserve round trip is timed.
/// </summary>
public static class LatencyScenario
{
    /// <summary>Measures each target's maximum, then its latency at half of it.</summary>
    public static async Task RunAsync(BenchOptions options)
    {
        Report.Heading(options.LatencyRate is { } fixedRate
            ? $"Scenario 2 — reserve round-trip latency at a fixed {fixedRate:N0} cycles/s (open loop, HdrHistogram)"
            : $"Scenario 2 — reserve round-trip latency at {options.LatencyLoad:P0} of measured max throughput (open loop, HdrHistogram)", options);
        var keys = BenchEvents.SessionIds(options.Sessions);
        // (e), the raw ceiling, answers a constant: it has no reservation whose latency would mean anything.
        var targets = LifecycleScenario.Implementations(options, keys).Where(t => t.Key != "e");

        var table = new MarkdownTable("implementation", "max cycles/s", "offered/s", "ops", "refused", "p50 µs", "p90 µs",
            "p99 µs", "p99.9 µs", "max µs", "p50 µs from send", "p99 µs from send", "GC pause ms (count)");
        var errors = new List<string>();
        foreach (var (key, create) in targets.Where(t => options.Runs(t.Key)))
        {
            var target = await create();
            try
            {
                await MeasureAsync(target, keys, options, table, Report.IsComparison(key), errors);
            }
            catch (Exception exception)
            {
                Report.Failure($"latency {target.Name}", exception, Report.IsComparison(key));
                table.Row(target.Name, "failed: " + exception.GetType().Name);
            }
            finally
            {
                await target.DisposeAsync();
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            }
        }
        Report.Table(table);
        foreach (var error in errors) Report.Note($"**{error}**");
        Report.Note("Latency is measured from each reservation's intended start time (start + n / rate), so generator or " +
                    "system stalls are charged to every request they delayed (no coordinated omission); " +
                    "'from send' is the same round trip measured from the moment it was actually sent. The generator wakes on " +
                    "a 1 ms timer (spinning would take a core from the system under test), so intended-start latencies carry up to " +
                    "about a millisecond of generator lateness; the from-send columns do not.");
        Report.Note($"Each operation is a full cycle (its reserve round trip is timed); sessions are used round-robin over {keys.Length:N0}; " +
                    $"{options.LatencyRun.TotalSeconds:0.#} s per implementation.");
    }

    private static async Task MeasureAsync(ILifecycleTarget target, string[] keys, BenchOptions options, MarkdownTable table,
        bool comparison, List<string> errors)
    {
        Report.Progress($"latency: {target.Name} (max)");
        var max = await ClosedLoop.RunAsync(keys, options.Drivers, options.Warmup, options.Measure / 2,
            key => target.CycleAsync(key));
        if (Report.Errors($"latency {target.Name} (max)", max, comparison) is { } maxError) errors.Add(maxError);
        var rate = options.LatencyRate ?? max.PerSecond * options.LatencyLoad;
        Report.Progress($"latency: {target.Name} at {rate:N0}/s");
        var pause = GC.GetTotalPauseDuration();
        var collections = GC.CollectionCount(0);
        var latency = await OpenLoop.RunAsync(rate, options.LatencyRun, async (n, answered) =>
        {
            var handle = await target.ReserveAsync(keys[n % keys.Length]).ConfigureAwait(false);
            answered();
            return handle is not null && await target.CompleteAsync(handle).ConfigureAwait(false);
        });
        if (latency.Errors > 0)
        {
            var text = $"latency {target.Name}: {latency.Errors:N0} operation(s) threw (first: {latency.FirstError})";
            Report.Failure(text, comparison);
            errors.Add(text);
        }
        table.Row(target.Name, max.PerSecond, rate, latency.Completed, latency.Refused, latency.Percentile(50),
            latency.Percentile(90), latency.Percentile(99), latency.Percentile(99.9), latency.Max,
            (double)latency.FromSent.GetValueAtPercentile(50), (double)latency.FromSent.GetValueAtPercentile(99),
            $"{(GC.GetTotalPauseDuration() - pause).TotalMilliseconds:0} ({GC.CollectionCount(0) - collections})");
    }
}
