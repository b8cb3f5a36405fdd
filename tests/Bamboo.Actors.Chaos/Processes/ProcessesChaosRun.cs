using Bamboo.Actors.Chaos.Checks;
using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Processes;

/// <summary>
/// One run of the multi-process harness: a fresh database, three server processes, the random workload with faults,
/// quiescence and final reads, the journal, then the checks and the report.
/// </summary>
public static class ProcessesChaosRun
{
    private const int NodeCount = 3;
    private static readonly TimeSpan FormationBound = TimeSpan.FromSeconds(120);

    public static async Task<ProcessesChaosResult> RunAsync(ProcessesOptions options, Action<string> log)
    {
        var clock = new RunClock();
        var logFolder = Path.Combine(Path.GetTempPath(), "bamboo-chaos", $"{clock.StartedAt:yyyyMMdd-HHmmss}-seed{options.Seed}");
        Directory.CreateDirectory(logFolder);
        var recipeName = new ClusterRecipe(options.Recipe, "").Describe();
        log($"chaos run: seed {options.Seed}, {recipeName}; server logs in {logFolder}");

        var database = await ChaosDatabase.CreateAsync(options.ConnectionString, options.Seed);
        var sessions = SessionIds.For(options.Sessions);
        var history = new RequestHistory(clock);
        var cluster = new ChaosCluster(new ClusterRecipe(options.Recipe, database.ConnectionString), NodeCount, clock, logFolder);
        ChaosRecord record;
        try
        {
            await cluster.StartAsync();
            await cluster.WaitFormedAsync("formation-probe", clock, FormationBound);
            var loadStarted = clock.Now;
            log($"{RunClock.Format(loadStarted)} cluster formed (database {database.Name}): load and faults start");

            var faults = new FaultInjector(cluster, history, sessions, options.Seed, log);
            using var stopFaults = new CancellationTokenSource();
            using var stopLoad = new CancellationTokenSource();
            using var stopRecovery = new CancellationTokenSource();
            var recovery = faults.RecoverExitsAsync(stopRecovery.Token);
            var workload = new Workload(cluster, history, new SessionBook(), sessions, options.Seed).RunAsync(options.Clients, stopLoad.Token);
            var faulting = faults.RunAsync(options.Restarts, stopFaults.Token);
            await Task.WhenAny(faulting, Task.Delay(options.Duration ?? options.FaultBudget));
            await stopFaults.CancelAsync();
            await faulting;
            if (options.Restarts is { } planned && faults.Restarts < planned)
                log($"{RunClock.Format(clock.Now)} faults stopped after {faults.Restarts} of {planned} restarts: the budget of {RunClock.Seconds(options.FaultBudget)} ran out");
            if (options.Duration is null) await Task.Delay(options.Tail);
            await stopLoad.CancelAsync();
            await workload;
            var loadStopped = clock.Now;
            log($"{RunClock.Format(loadStopped)} load and faults stopped ({history.Entries.Count} requests): quiescence");

            var finals = await new Quiescence(cluster, history, sessions, options.Seed, log).SettleAndReadAsync();
            var ended = clock.Now;
            await stopRecovery.CancelAsync();
            await recovery;
            // Nothing writes once every node is stopped: the journal is final.
            await cluster.StopAllAsync();
            record = new ChaosRecord
            {
                Seed = options.Seed,
                Recipe = recipeName,
                NodeCount = NodeCount,
                Entries = history.Entries,
                Faults = faults.Faults,
                UnexpectedExits = cluster.UnexpectedExits,
                FinalReads = finals,
                Journal = await database.ReadJournalAsync(),
                HealMargin = FaultInjector.HealMargin,
                LoadStarted = loadStarted,
                LoadStopped = loadStopped,
                Ended = ended,
                Clock = clock,
            };
        }
        finally
        {
            await cluster.DisposeAsync();
            if (!options.KeepDatabase) await database.DropAsync();
        }

        await File.WriteAllLinesAsync(Path.Combine(logFolder, "history.log"), record.Entries.Select(entry => entry.Describe()));
        var violations = ChaosChecks.Judge(record);
        var figures = ChaosFigures.Of(record, violations);
        var report = ChaosReport.Write(record, violations, figures, options.Reproduce());
        if (violations.Count == 0 && !options.KeepLogs) Directory.Delete(logFolder, recursive: true);
        else report += $"server logs and every request (history.log): {logFolder}{Environment.NewLine}";
        if (options.KeepDatabase) report += $"database kept: {database.Name}{Environment.NewLine}";
        return new ProcessesChaosResult(record, violations, figures, report, logFolder);
    }
}
