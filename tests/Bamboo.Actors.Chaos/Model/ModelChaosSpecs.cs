using System.Globalization;
using Bamboo.Actors.Chaos.Model.Checks;
using Bamboo.Actors.TestSupport;
using Xunit.Abstractions;

namespace Bamboo.Actors.Chaos.Model;

/// <summary>
/// The CI budget of the model harness: three nodes in this process on PostgreSQL (SQLite without
/// <c>BAMBOO_TEST_POSTGRES</c>), at least 10,000 random operations and the planned faults (crashes, node 1 among them, a
/// graceful leave, a join, a store outage, journal write faults throughout), quiescence and every check. Seeded
/// (<c>BAMBOO_MODEL_SEED</c> overrides the default, <c>BAMBOO_MODEL_OPERATIONS</c> the budget); the long run is
/// <c>dotnet run --project tests/Bamboo.Actors.Chaos -- model --minutes 30</c>.
/// </summary>
public sealed class ModelChaosSpecs(ITestOutputHelper output)
{
    public const string SeedVariable = "BAMBOO_MODEL_SEED";
    public const string OperationsVariable = "BAMBOO_MODEL_OPERATIONS";
    private const int DefaultSeed = 20261130;

    [Fact]
    public async Task Should_keep_every_promise_under_random_operations_and_faults()
    {
        var options = new ModelOptions
        {
            Seed = Number(SeedVariable) ?? DefaultSeed,
            Postgres = TestPostgres.ConnectionString,
            Operations = Number(OperationsVariable) ?? 10_000,
            PlannedFaults = 6,
            MaxDuration = TimeSpan.FromMinutes(4),
            // Short deadlines and pauses keep the whole spec within a few minutes; the long run uses the defaults.
            MaxDeadline = TimeSpan.FromSeconds(8),
            FaultPause = (TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(6)),
        };
        var gate = new object();
        var result = await ModelChaosRun.RunAsync(options, line =>
        {
            lock (gate) output.WriteLine(line);
        });
        output.WriteLine(result.Report);

        // Not vacuous: the operations, the targets and the faults happened.
        var figures = result.Figures;
        Assert.True(figures.Operations >= options.Operations, $"only {figures.Operations} operations");
        foreach (var reservation in new[] { "reject", "interrupt", "enqueue" }.SelectMany(policy => new[] { "lease", "actor", "external" }.Select(kind => $"{policy} {kind}")))
            AtLeast(figures.Reservations, reservation, 20);
        foreach (var target in new[] { "Finalize current", "Finalize stale", "Finalize repeat", "Finalize signalled", "Cancel session", "Cancel current",
                     "Cancel stale", "Cancel queued", "Publish current", "Publish stale", "Subscribe library with cursor", "Subscribe library without cursor",
                     "Subscribe raw with cursor", "Subscribe raw without cursor" })
            AtLeast(figures.Purposes, target, 5);
        foreach (var kind in new[] { "KillExecutor", "KillSubscriber", "Vanish", "DisposeLease", "Heartbeat", "GetRun", "Unsubscribe" })
            AtLeast(figures.ByKind, kind, 5);
        foreach (var fault in new[] { "node crash", "node leave", "node join", "node store outage", "journal write fail", "journal write reject",
                     "journal write delay" })
            AtLeast(figures.Faults, fault, 1);
        Assert.Contains(result.Record.Faults, fault => fault is { Kind: Records.ModelFaultKind.Crash, Slot: 1 });
        foreach (var ending in new[] { "completed", "cancelled", "error: deadline exceeded", "error: heartbeat timeout", "error: executor lost" })
            AtLeast(figures.RunEndings, ending, 1);
        Assert.True(figures.EventsReceived >= 1_000, $"subscribers received only {figures.EventsReceived} events");
        Assert.Equal(5, result.Record.Gauge?.Held);

        Assert.True(result.Violations.Count == 0, Digest(result, options));
    }

    /// <summary>
    /// What a failing CI run keeps of the failure: a few lines. So: each check's count and first case with its evidence,
    /// and the node logs' figures, before the full report (which is in the test output).
    /// </summary>
    private static string Digest(ModelChaosResult result, ModelOptions options)
    {
        var lines = new List<string> { $"{result.Violations.Count} violations (seed {options.Seed}; {options.Reproduce()}):" };
        foreach (var check in result.Violations.GroupBy(violation => violation.Check))
        {
            var first = check.First();
            lines.Add($"[{check.Key}] x{check.Count()}: {first.Summary}");
            lines.AddRange(first.Evidence.Take(3).Select(entry => $"    {entry.Describe()}"));
        }
        lines.Add(result.Figures.Lines().LastOrDefault(line => line.StartsWith("node logs:", StringComparison.Ordinal)) ?? "");
        return string.Join("\n", lines);
    }

    private static void AtLeast(IReadOnlyDictionary<string, int> counts, string key, int minimum) =>
        Assert.True(counts.GetValueOrDefault(key) >= minimum, $"'{key}' happened {counts.GetValueOrDefault(key)} times (fewer than {minimum})");

    private static int? Number(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } text ? int.Parse(text, CultureInfo.InvariantCulture) : null;
}
