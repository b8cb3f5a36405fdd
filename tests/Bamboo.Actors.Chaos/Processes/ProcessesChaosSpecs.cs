using System.Globalization;
using Bamboo.Actors.TestSupport;
using Xunit.Abstractions;

namespace Bamboo.Actors.Chaos.Processes;

/// <summary>
/// The short CI run of the multi-process harness: three server processes on PostgreSQL, the random workload, five node
/// restarts (node 1, the first seed, among them), then quiescence and every check. Seeded (<c>BAMBOO_CHAOS_SEED</c>
/// overrides the default); the long run is <c>dotnet run --project tests/Bamboo.Actors.Chaos -- processes</c>.
/// </summary>
public sealed class ProcessesChaosSpecs(ITestOutputHelper output)
{
    public const string SeedVariable = "BAMBOO_CHAOS_SEED";
    private const int DefaultSeed = 20261130;

    [SkippableFact]
    public async Task Should_keep_every_promise_while_nodes_are_killed_and_restarted()
    {
        var missing = TestPostgres.MissingReason();
        Skip.If(missing is not null, missing);
        var connectionString = TestPostgres.ConnectionString!;
        var options = new ProcessesOptions
        {
            ConnectionString = connectionString,
            Seed = Environment.GetEnvironmentVariable(SeedVariable) is { Length: > 0 } seed ? int.Parse(seed, CultureInfo.InvariantCulture) : DefaultSeed,
            Restarts = 5,
            Sessions = 24,
            Clients = 6,
            KeepLogs = false,
            FaultBudget = TimeSpan.FromMinutes(3),
        };

        var gate = new object();
        var result = await ProcessesChaosRun.RunAsync(options, line =>
        {
            lock (gate) output.WriteLine(line);
        });
        output.WriteLine(result.Report);

        // Not vacuous: the workload and the faults happened.
        var figures = result.Figures;
        Assert.True(figures.Restarts >= 4, $"only {figures.Restarts} restarts");
        Assert.True(figures.FirstSeedRestarts >= 1, "node 1, the first seed, was never restarted");
        // Typical short runs: 800-1,100 requests, 50-70 runs seen completed; these bounds hold on a loaded machine too.
        Assert.True(figures.Requests >= 300, $"only {figures.Requests} requests");
        Assert.True(figures.Completed >= 15, $"only {figures.Completed} runs seen completed");
        Assert.True(figures.DeadlineEnded >= 1, "no abandoned run was seen ended by its deadline");
        Assert.True(figures.StaleRejected >= 5, $"only {figures.StaleRejected} stale finalizes or events refused");
        Assert.Equal(options.Sessions, result.Record.FinalReads.Count);
        Assert.NotEmpty(result.Record.Journal);

        Assert.True(result.Violations.Count == 0,
            $"{result.Violations.Count} violations (seed {options.Seed}):\n" +
            string.Join("\n", result.Violations.Select(violation => $"[{violation.Check}] {violation.Summary}")));
    }
}
