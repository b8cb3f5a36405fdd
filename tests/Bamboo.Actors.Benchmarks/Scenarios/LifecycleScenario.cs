using Bamboo.Actors.Benchmarks.Harness;
using Bamboo.Actors.Benchmarks.Targets;

namespace Bamboo.Actors.Benchmarks.Scenarios;

/// <summary>
/// Scenario 1: reserve → publish 3 events → finalize cycles per second over many sessions with 64 closed-loop drivers,
/// for every implementation side by side in this process.
/// </summary>
public static class LifecycleScenario
{
    /// <summary>Measures every target and prints the table and the ratios against their targets.</summary>
    public static async Task RunAsync(BenchOptions options)
    {
        Report.Heading($"Scenario 1 — lifecycle throughput ({options.Sessions:N0} sessions, {options.Drivers} drivers, cycle = reserve → publish 3 → finalize)", options);
        var keys = BenchEvents.SessionIds(options.Sessions);
        var targets = new (string Key, Func<Task<ILifecycleTarget>> Create)[]
        {
            ("a", () => Task.FromResult<ILifecycleTarget>(SupervisorTarget.CreateLocal(options.AskTimeout))),
            ("b", () => Task.FromResult<ILifecycleTarget>(ClientTarget.CreateLocal(options.AskTimeout))),
            ("c", () => Task.FromResult<ILifecycleTarget>(new SeedLockMapTarget())),
            ("d", async () => await OrleansTarget.StartAsync()),
            ("e", () => Task.FromResult<ILifecycleTarget>(RawAkkaTarget.Create(keys, options.AskTimeout))),
        };

        var table = new MarkdownTable("implementation", "cycles/s", "failed", "CPU % (all cores)", "CPU µs/cycle", "alloc B/cycle", "gen0 GCs", "gen2 GCs");
        var rates = new Dictionary<string, double>();
        foreach (var (key, create) in targets.Where(t => options.Runs(t.Key)))
        {
            try
            {
                var (name, result) = await MeasureAsync(create, keys, options);
                rates[key] = result.PerSecond;
                table.Row(name, result.PerSecond, result.Failures, result.CpuPercent, result.CpuMicrosPerOperation, result.BytesPerOperation, result.Gen0, result.Gen2);
            }
            catch (Exception exception)
            {
                Report.Failure($"lifecycle ({key})", exception);
                table.Row($"({key})", "failed: " + exception.GetType().Name);
            }
        }
        Report.Table(table);
        if (rates.Count < targets.Length) return;

        Report.Table(new MarkdownTable("ratio", "value", "target", "met")
            .Row("(a) / (d) Orleans", rates["a"] / rates["d"], "≥ 2", Met(rates["a"] / rates["d"] >= 2))
            .Row("(a) / (e) raw Akka", rates["a"] / rates["e"], "≥ 0.5", Met(rates["a"] / rates["e"] >= 0.5))
            .Row("(a) / (c) seed lock map", rates["a"] / rates["c"], "(reported)", "")
            .Row("(b) / (a) client overhead", rates["b"] / rates["a"], "(reported)", ""));
        Report.Note("Closed loop: each driver owns every 64th session and starts its next cycle when the previous one ends; " +
                    $"{options.Warmup.TotalSeconds:0.#} s warm-up (creates every session), {options.Measure.TotalSeconds:0.#} s measured per implementation.");
        Report.Note("CPU, allocation and GC counts are process-wide over the window (drivers, GC and runtime included). " +
                    "CPU µs/cycle is the steadier figure on a shared machine: the rate also falls when other processes take the cores.");
    }

    /// <summary>Creates a target, runs the closed loop on it, disposes it.</summary>
    public static async Task<(string Name, Throughput Result)> MeasureAsync(Func<Task<ILifecycleTarget>> create, string[] keys,
        BenchOptions options, TimeSpan? warmup = null, TimeSpan? measure = null)
    {
        var target = await create();
        try
        {
            Report.Progress($"lifecycle: {target.Name}");
            var result = await ClosedLoop.RunAsync(keys, options.Drivers, warmup ?? options.Warmup, measure ?? options.Measure,
                key => target.CycleAsync(key));
            Report.Progress($"  {result.PerSecond:N0} cycles/s");
            return (target.Name, result);
        }
        finally
        {
            await target.DisposeAsync();
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        }
    }

    /// <summary>Table cell for a target check.</summary>
    public static string Met(bool met) => met ? "yes" : "**no**";
}
