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
        log($"chaos run: seed {options.Seed}, {ClusterRecipe.Describe(options.Recipe)}; server logs in {logFolder}");

        var database = await ChaosDatabase.CreateAsync(options.ConnectionString, options.Seed);
        var cluster = new ChaosCluster(new ClusterRecipe(options.Recipe, database.ConnectionString), NodeCount, clock, logFolder);
        ChaosRecord record;
        try
        {
            record = await ObserveAsync(options, cluster, database, clock, log);
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

    /// <summary>Forms the cluster, runs load and faults, lets it settle, reads everything, stops the nodes, reads the journal.</summary>
    private static async Task<ChaosRecord> ObserveAsync(ProcessesOptions options, ChaosCluster cluster, ChaosDatabase database, RunClock clock,
        Action<string> log)
    {
        var sessions = SessionIds.For(options.Sessions);
        var history = new RequestHistory(clock);
        await cluster.StartAsync();
        await cluster.WaitFormedAsync("formation-probe", clock, FormationBound);
        var loadStarted = clock.Now;
        log($"{RunClock.Format(loadStarted)} cluster formed (database {database.Name}): load and faults start");

        var faults = new FaultInjector(cluster, history, sessions, options.Seed, log);
        using var stopRecovery = new CancellationTokenSource();
        var recovery = faults.RecoverExitsAsync(stopRecovery.Token);
        await LoadWithFaultsAsync(options, cluster, history, faults, sessions, log);
        var loadStopped = clock.Now;
        log($"{RunClock.Format(loadStopped)} load and faults stopped ({history.Entries.Count} requests): quiescence");

        var healed = faults.Faults.Select(fault => fault.Window(FaultInjector.HealMargin, clock.Now).To).DefaultIfEmpty().Max();
        var finals = await new Quiescence(cluster, history, sessions, healed, options.Seed, log).SettleAndReadAsync();
        var ended = clock.Now;
        await stopRecovery.CancelAsync();
        await recovery;
        // Nothing writes once every node is stopped: the journal is final.
        await cluster.StopAllAsync();
        return new ChaosRecord
        {
            Seed = options.Seed,
            Recipe = ClusterRecipe.Describe(options.Recipe),
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

    /// <summary>The workload, with faults until the duration (long runs) or the restarts (short runs, bounded by a budget).</summary>
    private static async Task LoadWithFaultsAsync(ProcessesOptions options, ChaosCluster cluster, RequestHistory history, FaultInjector faults,
        IReadOnlyList<string> sessions, Action<string> log)
    {
        using var stopFaults = new CancellationTokenSource();
        using var stopLoad = new CancellationTokenSource();
        var workload = new Workload(cluster, history, new SessionBook(), sessions, options.Seed).RunAsync(options.Clients, stopLoad.Token);
        var faulting = faults.RunAsync(options.Restarts, stopFaults.Token);
        await Task.WhenAny(faulting, Task.Delay(options.Duration ?? options.FaultBudget));
        await stopFaults.CancelAsync();
        await faulting;
        if (options.Restarts is { } planned && faults.Restarts < planned)
            log($"{RunClock.Format(history.Clock.Now)} faults stopped after {faults.Restarts} of {planned} restarts: the budget of {RunClock.Seconds(options.FaultBudget)} ran out");
        if (options.Duration is null) await Task.Delay(options.Tail);
        await stopLoad.CancelAsync();
        await workload;
    }
}
