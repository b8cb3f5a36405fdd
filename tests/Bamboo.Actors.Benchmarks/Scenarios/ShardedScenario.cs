using Bamboo.Actors.Benchmarks.Harness;
using Bamboo.Actors.Benchmarks.Targets;

namespace Bamboo.Actors.Benchmarks.Scenarios;

/// <summary>Scenario 3: scenario 1 (a) through a single-node cluster shard region vs local mode.</summary>
public static class ShardedScenario
{
    /// <summary>Measures both topologies and prints the table and the ratio.</summary>
    public static async Task RunAsync(BenchOptions options)
    {
        Report.Heading($"Scenario 3 — sharded vs local ({options.Sessions:N0} sessions, {options.Drivers} drivers)", options);
        var keys = BenchEvents.SessionIds(options.Sessions);
        var local = await LifecycleScenario.MeasureAsync(
            () => Task.FromResult<ILifecycleTarget>(SupervisorTarget.CreateLocal(options.AskTimeout)), keys, options);
        var sharded = await LifecycleScenario.MeasureAsync(async () =>
        {
            var (system, supervisor) = await BenchSystems.CreateShardedAsync("bench-sharded");
            return new SupervisorTarget("(a) RunnerSupervisor → shard region (1-node cluster)", system, supervisor, options.AskTimeout);
        }, keys, options);

        var table = new MarkdownTable("topology", "cycles/s", "failed", "CPU % (all cores)", "CPU µs/cycle", "alloc B/cycle");
        foreach (var (name, result) in new[] { local, sharded })
            table.Row(name, result.PerSecond, result.Failures, result.CpuPercent, result.CpuMicrosPerOperation, result.BytesPerOperation);
        Report.Table(table);
        var ratio = sharded.Result.PerSecond / local.Result.PerSecond;
        var byCpu = local.Result.CpuMicrosPerOperation / sharded.Result.CpuMicrosPerOperation;
        Report.Table(new MarkdownTable("ratio", "by cycles/s", "by CPU µs/cycle", "target", "met (by rate / by CPU)")
            .Row("sharded / local", ratio, byCpu, "≥ 0.5", $"{LifecycleScenario.Met(ratio >= 0.5)} / {LifecycleScenario.Met(byCpu >= 0.5)}"));
        Report.Note("The cluster is one node on loopback: messages stay in process (no serialization); the shard region, " +
                    "shard and entity hops are what is measured. Entities are the same SessionRunner, routed by SessionMessageExtractor.");
    }
}
