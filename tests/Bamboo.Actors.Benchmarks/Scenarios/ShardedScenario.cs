using Bamboo.Actors.Benchmarks.Harness;
using Bamboo.Actors.Benchmarks.Targets;

namespace Bamboo.Actors.Benchmarks.Scenarios;

/// <summary>
/// Scenario 3: scenario 1 (a) through a single-node cluster shard region vs local mode, both hosted the way a service
/// hosts them (<c>WithBambooRunners</c>, plus <c>WithBambooCluster</c> and <c>Sharded = true</c>), sessions not durable.
/// </summary>
public static class ShardedScenario
{
    /// <summary>Measures both topologies and prints the table and the ratio.</summary>
    public static async Task RunAsync(BenchOptions options)
    {
        Report.Heading($"Scenario 3 — sharded vs local ({options.Sessions:N0} sessions, {options.Drivers} drivers)", options);
        var keys = BenchEvents.SessionIds(options.Sessions);
        var local = await LifecycleScenario.MeasureAsync(async () => new SupervisorTarget(
            "(a) RunnerSupervisor, local (hosted)", await BenchSystems.StartHostedAsync("bench-local", sharded: false), options.AskTimeout), keys, options);
        var sharded = await LifecycleScenario.MeasureAsync(async () => new SupervisorTarget(
            "(a) RunnerSupervisor → shard region (1-node cluster, hosted)", await BenchSystems.StartHostedAsync("bench-sharded", sharded: true),
            options.AskTimeout), keys, options);

        var table = new MarkdownTable("topology", "cycles/s", "failed", "CPU % (all cores)", "CPU µs/cycle", "alloc B/cycle", "supervisor + region msgs/cycle");
        foreach (var (name, result) in new[] { local, sharded })
            table.Row(name, result.PerSecond, result.Failures, result.CpuPercent, result.CpuMicrosPerOperation, result.BytesPerOperation,
                result.EntryMessagesPerOperation);
        Report.Table(table);
        var ratio = sharded.Result.PerSecond / local.Result.PerSecond;
        var byCpu = local.Result.CpuMicrosPerOperation / sharded.Result.CpuMicrosPerOperation;
        Report.Table(new MarkdownTable("ratio", "by cycles/s", "by CPU µs/cycle", "target", "met (by rate / by CPU)")
            .Row("sharded / local", ratio, byCpu, "≥ 0.5", $"{LifecycleScenario.Met(ratio >= 0.5)} / {LifecycleScenario.Met(byCpu >= 0.5)}"));
        Report.Note("Both systems are built by the product's hosting: AddAkka + WithBambooRunners(o => { o.Sharded = …; " +
                    "o.Persistence.Mode = None }), and for the cluster WithBambooCluster (127.0.0.1, free port, joined to itself; the " +
                    "library's cluster defaults). Sessions are in memory in both (durable = off, checked), so like is compared with like.");
        Report.Note("supervisor + region msgs/cycle: messages the RunnerSupervisor and the session shard region (the two actors " +
                    "a node has one of) took out of their mailboxes per cycle over the window (see CountingMailbox).");
        Report.Note("The cluster is one node on loopback: messages stay in process (no serialization); the shard region, " +
                    "shard and entity hops are what is measured. Entities are the same SessionRunner, routed by SessionMessageExtractor.");
    }
}
