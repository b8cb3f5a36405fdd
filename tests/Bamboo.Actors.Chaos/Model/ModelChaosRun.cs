using Akka.Actor;
using Bamboo.Actors.Chaos.History;
using Bamboo.Actors.Chaos.Model.Checks;
using Bamboo.Actors.Chaos.Model.Faults;
using Bamboo.Actors.Chaos.Model.Nodes;
using Bamboo.Actors.Chaos.Model.Records;
using Bamboo.Actors.Chaos.Model.Workload;
using Bamboo.Actors.Client;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Chaos.Model;

/// <summary>The thread pool while the load runs: a pool starved by blocked threads stalls every node of the process at once.</summary>
internal static class ThreadPoolSample
{
    private static int _maxThreads;
    private static long _maxQueued;

    public static void Take()
    {
        _maxThreads = Math.Max(_maxThreads, ThreadPool.ThreadCount);
        _maxQueued = Math.Max(_maxQueued, ThreadPool.PendingWorkItemCount);
    }

    public static string Describe() =>
        $"thread pool: {ThreadPool.ThreadCount} threads (most {_maxThreads}), {ThreadPool.PendingWorkItemCount} queued (most {_maxQueued})";
}

/// <summary>What a model run found: the record, its violations, its figures and the printed report.</summary>
public sealed record ModelChaosResult(ModelRecord Record, IReadOnlyList<ModelViolation> Violations, ModelFigures Figures, string Report);

/// <summary>
/// One model run: the store and the nodes, the random workload with faults until the budget or the duration is spent,
/// then quiescence — faults and load stop, the cluster heals, and nobody touches a session until every run's deadline
/// and grace have passed — then the final reads (every session through every node, its run record, its events from
/// cursor 0), the subscribers' catch-up, the gauge, and the checks.
/// </summary>
public static class ModelChaosRun
{
    private static readonly TimeSpan QuietMargin = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan MaxQuiet = TimeSpan.FromSeconds(120);
    private const int HeldRuns = 5;
    private const string SessionPrefix = "bamboo-session-";

    public static async Task<ModelChaosResult> RunAsync(ModelOptions options, Action<string> log)
    {
        var clock = new RunClock();
        var folder = Path.Combine(Path.GetTempPath(), "bamboo-model", $"{clock.StartedAt:yyyyMMdd-HHmmss}-seed{options.Seed}-{options.Topology.ToString().ToLowerInvariant()}");
        Directory.CreateDirectory(folder);
        log($"model run: seed {options.Seed}, {options.Topology.ToString().ToLowerInvariant()}, store {options.StoreName}; logs in {folder}");

        var profile = new ModelProfile();
        var faults = new StoreFaults(clock, options.Seed);
        using var gauge = new RunsActiveGauge();
        await using var stalls = new StallMonitor(clock);
        var store = options.Topology == Topology.Memory ? null : await ModelStore.CreateAsync(options.Postgres, options.Seed, folder);
        var nodes = new NodeSet(options.Topology, options.Topology == Topology.Cluster ? 4 : 1, store, profile, faults, clock, folder, log);
        ModelRecord record;
        try
        {
            record = await ObserveAsync(options, profile, nodes, store, faults, gauge, clock, folder, log) with { Stalls = stalls.Stalls };
        }
        finally
        {
            await nodes.DisposeAsync();
            if (store is not null) await store.DisposeAsync();
        }

        var violations = ModelChecks.Judge(record);
        var figures = ModelFigures.Of(record, violations);
        await File.WriteAllLinesAsync(Path.Combine(folder, "history.log"), record.Entries.Select(entry => entry.Describe()));
        await File.WriteAllLinesAsync(Path.Combine(folder, "subscribers.log"), record.Subscribers.SelectMany(subscriber =>
            new[] { subscriber.Describe() }.Concat(subscriber.Events.Select(received => $"  {RunClock.Format(received.At)} {ModelEntry.Show(received.Event)}"))));
        var report = ModelReport.Write(record, violations, figures);
        if (violations.Count == 0 && !options.KeepLogs)
        {
            Directory.Delete(folder, recursive: true);
        }
        else
        {
            report += $"node logs, history.log, subscribers.log: {folder}{Environment.NewLine}";
            await File.WriteAllTextAsync(Path.Combine(folder, "report.txt"), report);
        }
        return new ModelChaosResult(record, violations, figures, report);
    }

    private static async Task<ModelRecord> ObserveAsync(ModelOptions options, ModelProfile profile, NodeSet nodes, ModelStore? store,
        StoreFaults faults, RunsActiveGauge gauge, RunClock clock, string folder, Action<string> log)
    {
        var sessions = Processes.SessionIds.For(options.Sessions);
        var history = new ModelHistory(clock);
        var requests = new ModelRequests(nodes, history, profile);
        await nodes.StartAsync(options.Topology == Topology.Cluster ? 3 : 1);
        var loadStarted = clock.Now;
        log($"{RunClock.Format(loadStarted)} {nodes.Usable.Count} node(s) serving ({store?.Description ?? "in memory"}): load and faults start");

        if (store is not null && options.JournalFaults)
        {
            faults.FailProbability = 0.01;
            faults.RejectProbability = 0.004;
            faults.DelayProbability = 0.02;
        }
        var workload = new ModelWorkload(nodes, requests, sessions, profile, options.Seed, options.MaxDeadline);
        var injector = new ModelFaultInjector(nodes, workload, history, store, faults, options.Seed, log) { Pause = options.FaultPause, Kinds = options.FaultKinds, OutageLength = options.OutageLength };
        injector.Supervise();
        faults.OnRandomFault = injected =>
        {
            if (injected.PersistenceId.StartsWith(SessionPrefix, StringComparison.Ordinal))
                workload.WriteFailed(Routing.SessionIds.FromEntityId(injected.PersistenceId[SessionPrefix.Length..]));
        };
        await LoadAsync(options, history, workload, injector, log);
        var loadStopped = clock.Now;
        log($"{RunClock.Format(loadStopped)} load and faults stopped after {history.Operations} operations, {injector.Injected} faults: quiescence");

        // Quiescence: no more faults; the nodes converge; then nobody touches a session until every run has had its deadline and grace.
        faults.FailProbability = faults.RejectProbability = faults.DelayProbability = 0;
        workload.Quiet();
        await injector.RecoveredAsync();
        if (options.Topology == Topology.Cluster)
        {
            foreach (var slot in nodes.EmptySlots.Take(Math.Max(0, 3 - nodes.Usable.Count))) await nodes.StartSlotAsync(slot);
        }
        else if (nodes.Usable.Count == 0)
        {
            await nodes.StartSlotAsync(1);
        }
        await nodes.WaitServingAsync(TimeSpan.FromSeconds(120));
        var quietFrom = clock.Now;
        var quietUntil = QuietUntil(workload.Runs, profile, options.MaxDeadline, loadStopped, quietFrom, clock);
        log($"{RunClock.Format(quietFrom)} untouched until {RunClock.Format(quietUntil)} (every deadline and grace passed)");
        await Task.Delay(quietUntil - clock.Now > TimeSpan.Zero ? quietUntil - clock.Now : TimeSpan.Zero);
        await workload.SettleAsync(TimeSpan.FromSeconds(10));

        // The final reads are taken in a settled cluster. The cluster may still down a node by itself meanwhile — after
        // the whole process stalled for seconds (a GC pause or a starved machine: every node missed its heartbeats at
        // once), as it would down a frozen server. That is a fault of its own: the node is started again, the cluster
        // heals, and the reads are taken again, at most a few times.
        TimeSpan readsFrom;
        IReadOnlyList<FinalRead> finals;
        for (var attempt = 1; ; attempt++)
        {
            await injector.RecoveredAsync();
            await nodes.WaitServingAsync(TimeSpan.FromSeconds(120));
            await WaitTerminatedAsync(nodes);
            var downings = Downings(history);
            readsFrom = clock.Now;
            finals = await FinalReadsAsync(nodes, requests, sessions, "final");
            if (Downings(history) == downings || attempt == FinalReadAttempts) break;
            log($"{RunClock.Format(clock.Now)} a node was downed during the final reads: reading again once the cluster has healed");
        }
        var truth = await TruthAsync(nodes, sessions, clock);
        var ends = await SubscribersCatchUpAsync(workload, finals, clock);
        await workload.CloseSubscribersAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));
        var afterClose = (await FinalReadsAsync(nodes, requests, sessions, "after closing subscribers", records: false, everyNode: false))
            .SelectMany(read => read.Statuses).ToArray();
        var reading = await GaugeAsync(nodes, requests, sessions, gauge);
        var ended = clock.Now;
        log($"{RunClock.Format(ended)} final reads done ({history.Operations} operations in all)");

        var incarnations = nodes.AllIncarnations;
        return new ModelRecord
        {
            Options = options,
            Profile = profile,
            Store = store?.Description ?? "in memory",
            Entries = history.Entries,
            Subscribers = history.Subscribers,
            Faults = history.Faults,
            Injected = faults.Injected,
            LostLeases = faults.LostLeases,
            Runs = workload.Runs.Select(RunView.Of).ToArray(),
            FinalReads = finals,
            Truth = truth,
            SubscriberEnds = ends,
            AfterClose = afterClose,
            Gauge = reading,
            LoadStarted = loadStarted,
            LoadStopped = loadStopped,
            QuietFrom = quietFrom,
            ReadsFrom = readsFrom,
            Ended = ended,
            Clock = clock,
            LogWarnings = incarnations.Sum(node => node.Context.Log.Warnings),
            LogErrors = incarnations.Sum(node => node.Context.Log.Errors),
            LogFolder = folder,
        };
    }

    /// <summary>The load with faults until the duration (long runs) or the operations and the planned faults (budget runs).</summary>
    private static async Task LoadAsync(ModelOptions options, ModelHistory history, ModelWorkload workload, ModelFaultInjector injector,
        Action<string> log)
    {
        using var stopFaults = new CancellationTokenSource();
        using var stopLoad = new CancellationTokenSource();
        var load = workload.RunAsync(options.Clients, stopLoad.Token);
        var faulting = injector.RunAsync(stopFaults.Token);
        var started = history.Clock.Now;
        var lastReport = started;
        while (true)
        {
            await Task.Delay(500);
            var elapsed = history.Clock.Now - started;
            if (options.Duration is { } duration ? elapsed >= duration
                : history.Operations >= options.Operations && (injector.Injected >= Math.Min(options.PlannedFaults, injector.Planned) || elapsed >= options.MaxDuration)
                  || elapsed >= options.MaxDuration + TimeSpan.FromMinutes(2))
                break;
            ThreadPoolSample.Take();
            if (history.Clock.Now - lastReport >= TimeSpan.FromSeconds(30))
            {
                lastReport = history.Clock.Now;
                log($"{RunClock.Format(lastReport)} {history.Operations} operations, {injector.Injected} faults; {ThreadPoolSample.Describe()}");
            }
        }
        await stopFaults.CancelAsync();
        await faulting;
        await stopLoad.CancelAsync();
        await load;
    }

    /// <summary>When every run the workload knows of must have ended by its deadline and grace (queued ones after the runs
    /// ahead of them), or its worker's heartbeat timeout: the end of the untouched wait.</summary>
    private static TimeSpan QuietUntil(IReadOnlyList<RunHandle> runs, ModelProfile profile, TimeSpan longest, TimeSpan loadStopped,
        TimeSpan quietFrom, RunClock clock)
    {
        var until = loadStopped + longest + profile.DeadlineGrace + QuietMargin;
        foreach (var session in runs.GroupBy(run => run.SessionId))
        {
            var end = TimeSpan.Zero;
            foreach (var run in session.Where(run => !run.Over))
            {
                var start = run.ActiveAt ?? loadStopped;
                end = Max(end, start + run.Deadline + profile.DeadlineGrace);
            }
            var queued = session.Where(run => run is { Queued: true, Over: false }).Sum(run => (run.Deadline + profile.DeadlineGrace).Ticks);
            until = Max(until, end + TimeSpan.FromTicks(queued) + QuietMargin);
        }
        // A fault that healed just before quiescence: its sessions recover (and re-arm their timers) first.
        until = Max(until, quietFrom + QuietMargin);
        return Min(until, clock.Now + MaxQuiet);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private const int FinalReadAttempts = 3;

    private static int Downings(ModelHistory history) => history.Faults.Count(fault => fault.Kind == ModelFaultKind.Downed);

    /// <summary>Crashed and departed incarnations have terminated (their runners stopped and uncounted themselves).</summary>
    private static async Task WaitTerminatedAsync(NodeSet nodes)
    {
        foreach (var node in nodes.AllIncarnations.Where(node => node.State is NodeState.Crashed or NodeState.Leaving))
            await node.Terminated.WaitAsync(TimeSpan.FromSeconds(60)).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>Every session through every node: its snapshot, and the record of the run it names.</summary>
    private static async Task<IReadOnlyList<FinalRead>> FinalReadsAsync(NodeSet nodes, ModelRequests requests, IReadOnlyList<string> sessions,
        string purpose, bool records = true, bool everyNode = true)
    {
        var usable = nodes.Usable;
        var reads = new FinalRead[sessions.Count];
        using var limit = new SemaphoreSlim(8);
        await Task.WhenAll(sessions.Select(async (sessionId, index) =>
        {
            await limit.WaitAsync();
            try
            {
                var statuses = new List<ModelEntry>();
                var runRecords = new List<ModelEntry>();
                foreach (var node in everyNode ? usable : usable.Take(1))
                {
                    var status = await AskUntilAnsweredAsync(() => requests.AskAsync(node, new GetStatus(sessionId), OpKind.GetStatus, null, purpose, ""));
                    statuses.Add(status);
                    if (records && status.Reply is RunnerSnapshot { RunId: { } runId })
                        runRecords.Add(await AskUntilAnsweredAsync(() => requests.AskAsync(node, new GetRun(sessionId, runId), OpKind.GetRun, runId, purpose, "")));
                }
                reads[index] = new FinalRead(sessionId, statuses, runRecords);
            }
            finally
            {
                limit.Release();
            }
        }));
        return reads;
    }

    private static async Task<ModelEntry> AskUntilAnsweredAsync(Func<Task<ModelEntry>> ask)
    {
        for (var attempt = 1; ; attempt++)
        {
            var entry = await ask();
            if (entry.Outcome is Outcome.Replied || attempt == 3) return entry;
        }
    }

    /// <summary>Each session's events from cursor 0, through one node, read until its last sequence.</summary>
    private static async Task<IReadOnlyDictionary<string, TruthLog>> TruthAsync(NodeSet nodes, IReadOnlyList<string> sessions, RunClock clock)
    {
        var node = nodes.Usable[0];
        var truth = new Dictionary<string, TruthLog>(StringComparer.Ordinal);
        foreach (var sessionId in sessions)
        {
            var events = new List<AgentEvent>();
            var gate = new object();
            var actor = node.System.ActorOf(SubscriberActor.Props(evt =>
            {
                lock (gate) events.Add(evt);
            }));
            try
            {
                var subscribed = await node.Runners.Ask<IRunnerReply>(new Subscribe(sessionId, actor, 0), TimeSpan.FromSeconds(10));
                if (subscribed is not Subscribed { LastSequence: var last })
                {
                    truth[sessionId] = new TruthLog(sessionId, 0, [], null, Complete: false);
                    continue;
                }
                var deadline = clock.Now + TimeSpan.FromSeconds(5);
                while (clock.Now < deadline)
                {
                    lock (gate)
                    {
                        if (last == 0 || events.Any(evt => evt.Sequence >= last)) break;
                    }
                    await Task.Delay(20);
                }
                await node.Runners.Ask<IRunnerReply>(new Unsubscribe(sessionId, actor), TimeSpan.FromSeconds(10));
                AgentEvent[] copy;
                lock (gate) copy = [.. events];
                truth[sessionId] = new TruthLog(sessionId, last, copy.Where(evt => evt is not ReplayGap).ToArray(), copy.OfType<ReplayGap>().FirstOrDefault(),
                    Complete: last == 0 || copy.Any(evt => evt.Sequence >= last));
            }
            catch (Exception exception) when (exception is AskTimeoutException or TaskCanceledException)
            {
                truth[sessionId] = new TruthLog(sessionId, 0, [], null, Complete: false);
            }
            finally
            {
                node.System.Stop(actor);
            }
        }
        return truth;
    }

    /// <summary>Subscribers still open must catch up with their session's last sequence (they are given a few seconds).</summary>
    private static async Task<IReadOnlyList<SubscriberEnd>> SubscribersCatchUpAsync(ModelWorkload workload, IReadOnlyList<FinalRead> finals,
        RunClock clock)
    {
        var last = finals.ToDictionary(read => read.SessionId,
            read => read.Statuses.Select(status => status.Reply).OfType<RunnerSnapshot>().Select(snapshot => snapshot.LastSequence).DefaultIfEmpty(0).Max(),
            StringComparer.Ordinal);
        var open = workload.Sessions.SelectMany(session =>
        {
            lock (session.Gate) return session.Subscribers.Where(subscriber => subscriber.Log.Open).ToArray();
        }).ToArray();
        long Highest(SubscriberHandle subscriber) =>
            subscriber.Log.Events.Where(received => received.Event is not ReplayGap).Select(received => received.Event.Sequence).DefaultIfEmpty(0).Max();
        var deadline = clock.Now + TimeSpan.FromSeconds(5);
        while (clock.Now < deadline && open.Any(subscriber => subscriber.Log.Open && Highest(subscriber) < last[subscriber.Log.SessionId]))
            await Task.Delay(100);
        return open.Where(subscriber => subscriber.Log.Open)
            .Select(subscriber => new SubscriberEnd(subscriber.Log.Id, subscriber.Log.SessionId, Highest(subscriber), last[subscriber.Log.SessionId], clock.Now))
            .ToArray();
    }

    /// <summary>
    /// The gauge summed over the nodes against the sessions found running: at quiescence, then while a few runs are held
    /// on purpose (so the comparison is not between two zeros), then after they are finalized.
    /// </summary>
    private static async Task<GaugeReading?> GaugeAsync(NodeSet nodes, ModelRequests requests, IReadOnlyList<string> sessions,
        RunsActiveGauge gauge)
    {
        int Running(IEnumerable<FinalRead> reads) =>
            reads.Count(read => read.Statuses.Select(status => status.Reply).OfType<RunnerSnapshot>().Any(snapshot => snapshot.Status == RunStatus.Running));
        // The gauge and the sessions found running, read when neither moved meanwhile (a read may start a runner).
        async Task<(long Gauge, int Running)> StableAsync(string purpose)
        {
            for (var attempt = 1; ; attempt++)
            {
                var before = gauge.Value;
                var running = Running(await FinalReadsAsync(nodes, requests, sessions, purpose, records: false, everyNode: false));
                await Task.Delay(TimeSpan.FromMilliseconds(500));
                var after = gauge.Value;
                var again = Running(await FinalReadsAsync(nodes, requests, sessions, purpose, records: false, everyNode: false));
                if ((before == after && running == again) || attempt == 5) return (after, again);
            }
        }
        var (atQuiescence, runningAtQuiescence) = await StableAsync("gauge (quiescence)");

        var held = new List<RunLease>();
        foreach (var (sessionId, index) in sessions.Take(HeldRuns).Select((id, i) => (id, i)))
        {
            var node = nodes.Usable[index % nodes.Usable.Count];
            // One refused or unavailable is counted below: the comparison is with the sessions found running, whatever was held.
            var lease = await node.Client.ReserveAsync(sessionId, new ReserveOptions { Deadline = TimeSpan.FromMinutes(2) });
            if (lease.Status == LeaseStatus.Active) held.Add(lease);
            else await lease.DisposeAsync();
        }
        var (whileHeld, runningWhileHeld) = await StableAsync("gauge (held)");
        foreach (var lease in held)
        {
            // An unavailable finalize: the run then ends when its lease is disposed (executor stopped).
            await lease.CompleteAsync();
            await lease.DisposeAsync();
        }
        var (afterRelease, runningAfterRelease) = await StableAsync("gauge (released)");
        return new GaugeReading(atQuiescence, runningAtQuiescence, held.Count, whileHeld, runningWhileHeld, afterRelease, runningAfterRelease, gauge.Lowest);
    }
}
