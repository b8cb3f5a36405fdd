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
        var targets = Implementations(options, keys);

        var table = new MarkdownTable("implementation", "cycles/s", "failed", "CPU % (all cores)", "CPU µs/cycle", "alloc B/cycle", "gen0 GCs", "gen2 GCs", "supervisor msgs/cycle");
        var rates = new Dictionary<string, double>();
        var cpu = new Dictionary<string, double>();
        var errors = new List<string>();
        foreach (var (key, create) in targets.Where(t => options.Runs(t.Key)))
        {
            try
            {
                var (name, result) = await MeasureAsync(create, keys, options, comparison: Report.IsComparison(key));
                rates[key] = result.PerSecond;
                cpu[key] = result.CpuMicrosPerOperation;
                table.Row(name, result.PerSecond, result.Failures, result.CpuPercent, result.CpuMicrosPerOperation, result.BytesPerOperation, result.Gen0, result.Gen2,
                    Report.IsComparison(key) ? "" : result.EntryMessagesPerOperation);
                if (result.ErrorSummary is { } summary) errors.Add($"({key}): {summary}");
            }
            catch (Exception exception)
            {
                Report.Failure($"lifecycle ({key})", exception, Report.IsComparison(key));
                table.Row($"({key})", "failed: " + exception.GetType().Name);
            }
        }
        Report.Table(table);
        foreach (var error in errors) Report.Note($"**{error}**");
        if (rates.Count < 2) return;

        Report.Table(new MarkdownTable("ratio", "by cycles/s", "by CPU µs/cycle", "target", "met (by rate / by CPU)")
            .Row("(a) / (d) Orleans", Ratio(rates, "a", "d"), Ratio(cpu, "d", "a"), "≥ 2", Met(Ratio(rates, "a", "d") >= 2, Ratio(cpu, "d", "a") >= 2))
            .Row("(a) / (e) raw Akka", Ratio(rates, "a", "e"), Ratio(cpu, "e", "a"), "≥ 0.5", Met(Ratio(rates, "a", "e") >= 0.5, Ratio(cpu, "e", "a") >= 0.5))
            .Row("(a) / (c) seed lock map", Ratio(rates, "a", "c"), Ratio(cpu, "c", "a"), "(reported)", "")
            .Row("(b) / (a) client overhead", Ratio(rates, "b", "a"), Ratio(cpu, "a", "b"), "(reported)", ""));
        Report.Note("Closed loop: each driver owns every 64th session and starts its next cycle when the previous one ends; " +
                    $"{options.Warmup.TotalSeconds:0.#} s warm-up (creates every session), then {options.Measure.TotalSeconds:0.#} s in " +
                    $"{ClosedLoop.Windows} windows per implementation; each row is the median window.");
        Report.Note("Ratios 'by CPU µs/cycle' compare the CPU time one cycle costs (x/y = CPU(y)/CPU(x)): on a machine shared with " +
                    "other work they are the steadier reading, since a rate also drops whenever another process holds the cores.");
        Report.Note("supervisor msgs/cycle: messages the one RunnerSupervisor actor took out of its mailbox per cycle over the window " +
                    "(counted by the benchmark systems' default mailbox, see CountingMailbox), replies to it and its own messages included.");
        Report.Note("CPU, allocation and GC counts are process-wide over the window (drivers, GC and runtime included). " +
                    "CPU µs/cycle is the steadier figure on a shared machine: the rate also falls when other processes take the cores.");
    }

    /// <summary>The implementations (a)–(e) compared, by key, each created on demand over <paramref name="keys"/>.</summary>
    public static (string Key, Func<Task<ILifecycleTarget>> Create)[] Implementations(BenchOptions options, string[] keys) =>
    [
        ("a", () => Task.FromResult<ILifecycleTarget>(SupervisorTarget.CreateLocal(options.AskTimeout))),
        ("b", () => Task.FromResult<ILifecycleTarget>(ClientTarget.CreateLocal(options.AskTimeout))),
        ("c", () => Task.FromResult<ILifecycleTarget>(new SeedLockMapTarget())),
        ("d", async () => await OrleansTarget.StartAsync(options.OrleansResponseTimeout)),
        ("e", () => Task.FromResult<ILifecycleTarget>(RawAkkaTarget.Create(keys, options.AskTimeout))),
    ];

    /// <summary>Creates a target, runs the closed loop on it, disposes it. Operations that threw are recorded as a failure
    /// (of a compared system when <paramref name="comparison"/>), and the measurement stands.</summary>
    public static async Task<(string Name, Throughput Result)> MeasureAsync(Func<Task<ILifecycleTarget>> create, string[] keys,
        BenchOptions options, TimeSpan? warmup = null, TimeSpan? measure = null, bool comparison = false)
    {
        var target = await create();
        try
        {
            Report.Progress($"lifecycle: {target.Name}");
            var result = await ClosedLoop.RunAsync(keys, options.Drivers, warmup ?? options.Warmup, measure ?? options.Measure,
                key => target.CycleAsync(key));
            Report.Progress($"  {result.PerSecond:N0} cycles/s");
            Report.Errors($"lifecycle {target.Name}", result, comparison);
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

    private static string Met(bool byRate, bool byCpu) => $"{Met(byRate)} / {Met(byCpu)}";

    private static double Ratio(Dictionary<string, double> values, string x, string y) =>
        values.TryGetValue(x, out var a) && values.TryGetValue(y, out var b) ? a / b : double.NaN;
}
