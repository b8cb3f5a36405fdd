using System.Diagnostics;
using Bamboo.Actors.Benchmarks.Harness;
using Bamboo.Actors.Benchmarks.Micro;
using Bamboo.Actors.Benchmarks.Scenarios;

// The harness runs itself as the bare endpoint of scenario 9 (its own process, like the server).
if (args.Contains(BareKestrel.Argument)) return await BareKestrel.RunAsync(args);

var scenarios = new Dictionary<string, Func<BenchOptions, string[], Task>>(StringComparer.OrdinalIgnoreCase)
{
    ["lifecycle"] = (o, _) => LifecycleScenario.RunAsync(o),
    ["latency"] = (o, _) => LatencyScenario.RunAsync(o),
    ["sharded"] = (o, _) => ShardedScenario.RunAsync(o),
    ["memory"] = (o, _) => MemoryScenario.RunAsync(o),
    ["fanout"] = (o, _) => FanoutScenario.RunAsync(o),
    ["sse"] = (o, _) => SseScenario.RunAsync(o),
    ["durable"] = (o, _) => DurableScenario.RunAsync(o),
    ["history"] = (o, _) => HistoryScenario.RunAsync(o),
    ["http"] = HttpScenario.RunAsync,
    ["journal"] = JournalSizeScenario.RunAsync,
    ["soak"] = SoakScenario.RunAsync,
    ["failover"] = FailoverScenario.RunAsync,
    ["micro"] = (o, rest) =>
    {
        MicroScenario.Run(o, rest);
        return Task.CompletedTask;
    },
};

var quick = args.Contains("--quick", StringComparer.OrdinalIgnoreCase);
var targets = args.FirstOrDefault(a => a.StartsWith("--targets=", StringComparison.OrdinalIgnoreCase))?["--targets=".Length..]
    .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet() ?? [];
var load = args.FirstOrDefault(a => a.StartsWith("--load=", StringComparison.OrdinalIgnoreCase)) is { } loadArg
    ? double.Parse(loadArg["--load=".Length..], System.Globalization.CultureInfo.InvariantCulture)
    : 0.5;
double? rate = args.FirstOrDefault(a => a.StartsWith("--rate=", StringComparison.OrdinalIgnoreCase)) is { } rateArg
    ? double.Parse(rateArg["--rate=".Length..], System.Globalization.CultureInfo.InvariantCulture)
    : null;
var drivers = args.FirstOrDefault(a => a.StartsWith("--drivers=", StringComparison.OrdinalIgnoreCase)) is { } driversArg
    ? int.Parse(driversArg["--drivers=".Length..], System.Globalization.CultureInfo.InvariantCulture)
    : 64;
var positional = args.Where(a => !a.Equals("--quick", StringComparison.OrdinalIgnoreCase) &&
                                 !a.StartsWith("--targets=", StringComparison.OrdinalIgnoreCase) &&
                                 !a.StartsWith("--drivers=", StringComparison.OrdinalIgnoreCase) &&
                                 !a.StartsWith("--load=", StringComparison.OrdinalIgnoreCase) &&
                                 !a.StartsWith("--rate=", StringComparison.OrdinalIgnoreCase)).ToArray();
if (positional.Length == 0 || (positional[0] != "all" && !scenarios.ContainsKey(positional[0])))
{
    Console.Error.WriteLine("usage: dotnet run -c Release --project tests/Bamboo.Actors.Benchmarks -- <scenario> [--quick] [--targets=a,c,e] [--load=0.5 | --rate=10000] [--drivers=64] [--minutes 10 for soak] [BenchmarkDotNet args for micro]");
    Console.Error.WriteLine($"scenarios: {string.Join(", ", scenarios.Keys)}, all");
    return 2;
}

var options = new BenchOptions(quick) { Targets = targets, LatencyLoad = load, LatencyRate = rate, Drivers = drivers };
var selected = positional[0] == "all" ? scenarios.Keys.ToArray() : [positional[0]];
var rest = positional.Skip(1).ToArray();
var clock = Stopwatch.StartNew();
Console.WriteLine($"# Bamboo.Actors benchmarks: {string.Join(", ", selected)}{(quick ? " (quick)" : "")}");
Console.WriteLine();
Console.WriteLine($"> {MachineInfo.Describe(options)}");
foreach (var name in selected)
{
    var started = clock.Elapsed;
    try
    {
        await scenarios[name](options, rest);
    }
    catch (Exception exception)
    {
        Report.Failure($"scenario {name}", exception);
        Console.WriteLine();
        Report.Note($"**{name} failed**: {Report.Describe(exception)}");
    }
    Report.Progress($"{name} took {(clock.Elapsed - started).TotalSeconds:0.0} s");
}
Console.WriteLine();
Console.WriteLine($"Total time: {clock.Elapsed.TotalSeconds:0.0} s");
foreach (var failure in Report.Failures) Console.WriteLine($"- FAILED: {failure}");
foreach (var failure in Report.ComparisonFailures) Console.WriteLine($"- FAILED (compared system): {failure}");
// A quick run checks that the harness and Bamboo.Actors work; a compared system's hiccup does not fail it.
return Report.Failures.Count > 0 || (!quick && Report.ComparisonFailures.Count > 0) ? 1 : 0;
