using System.Diagnostics.Metrics;
using Akka.Actor;
using Bamboo.Actors.Benchmarks.Harness;
using Bamboo.Actors.Benchmarks.Targets;
using Bamboo.Actors.Diagnostics;
using static Bamboo.Actors.Protocol.RunnerCommands;

namespace Bamboo.Actors.Benchmarks.Scenarios;

/// <summary>
/// Scenario 4: retained bytes per live idle session after touching N sessions (forced full GC,
/// <see cref="GC.GetTotalMemory(bool)"/> deltas), and what is left once idle sessions have passivated.
/// </summary>
public static class MemoryScenario
{
    private static readonly TimeSpan ShortIdle = TimeSpan.FromSeconds(1);

    /// <summary>Runs every row and prints the table.</summary>
    public static async Task RunAsync(BenchOptions options)
    {
        Report.Heading("Scenario 4 — memory per idle session, and after passivation", options);
        using var live = new LiveSessions();
        var table = new MarkdownTable("sessions", "each session", "live: B/session", "after passivation: B/session", "sessions still live", "touch rate/s");
        foreach (var count in options.MemorySessionCounts)
        {
            var run = await MeasureRunnerAsync(count, options, live, touchWithRun: true);
            table.Row(count, "one finished run (reserve → 3 events → finalize)", run.Live, run.Passivated, run.Remaining, run.TouchRate);
            if (count == options.MemorySessionCounts[0])
            {
                // Only at the smaller count: at a million it would double the scenario's time for a row that differs
                // from the one above only by the run's own state.
                var status = await MeasureRunnerAsync(count, options, live, touchWithRun: false);
                table.Row(count, "created by GetStatus, never ran", status.Live, status.Passivated, status.Remaining, status.TouchRate);
            }
            var raw = await MeasureRawActorsAsync(count, options);
            table.Row(count, "floor: bare Akka UntypedActor child", raw, "", "", "");
        }
        Report.Table(table);
        Report.Note("live: a system whose idle timeout is 1 h; after touching N sessions every one of them is an idle actor in memory. " +
                    $"after passivation: a system whose idle timeout is {ShortIdle.TotalSeconds:0} s, measured once the bamboo.sessions.live gauge is back to 0.");
        Report.Note("Each delta is GC.GetTotalMemory(forceFullCollection: true) after minus before the touches, divided by N; " +
                    "session ids are built by the drivers, so the runner's copy of its id is counted.");
    }

    private static async Task<(double Live, double Passivated, long Remaining, double TouchRate)> MeasureRunnerAsync(
        int count, BenchOptions options, LiveSessions live, bool touchWithRun)
    {
        var prefix = touchWithRun ? "run-" : "status-";
        var baseLive = live.Count;
        double perSessionLive, rate;
        {
            Report.Progress($"memory: {count:N0} sessions, {prefix} live");
            var (system, supervisor) = BenchSystems.CreateLocal("bench-memory-live", TimeSpan.FromHours(1));
            await using var target = new SupervisorTarget("memory", system, supervisor, options.AskTimeout);
            await TouchAsync(target, "warm-", options.MemoryWarmSessions, options, touchWithRun);
            var before = Settle();
            rate = await TouchAsync(target, prefix, count, options, touchWithRun);
            var after = Settle();
            perSessionLive = (double)(after - before) / count;
            Report.Progress($"  {perSessionLive:N0} B/session live");
        }
        // Every runner of the first system has stopped (the gauge is back) before the second one's baseline is taken.
        await live.WaitForAsync(baseLive, TimeSpan.FromMinutes(2));
        Settle();
        {
            Report.Progress($"memory: {count:N0} sessions, {prefix} passivation");
            var (system, supervisor) = BenchSystems.CreateLocal("bench-memory-idle", ShortIdle);
            await using var target = new SupervisorTarget("memory", system, supervisor, options.AskTimeout);
            await TouchAsync(target, "warm-", options.MemoryWarmSessions, options, touchWithRun);
            await live.WaitForAsync(baseLive, TimeSpan.FromSeconds(30));
            var before = Settle();
            await TouchAsync(target, prefix, count, options, touchWithRun);
            await live.WaitForAsync(baseLive, TimeSpan.FromSeconds(120));
            // Let cancelled receive-timeout registrations and passivation bookkeeping be released too.
            await Task.Delay(ShortIdle);
            var after = Settle();
            var perSessionAfter = (double)(after - before) / count;
            var remaining = live.Count - baseLive;
            Report.Progress($"  {perSessionAfter:N1} B/session after passivation, {remaining} still live");
            return (perSessionLive, perSessionAfter, remaining, rate);
        }
    }

    private static async Task<double> TouchAsync(SupervisorTarget target, string prefix, int count, BenchOptions options, bool touchWithRun)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var next = -1;
        var drivers = Enumerable.Range(0, options.Drivers).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var sessionId = prefix + i;
                if (touchWithRun)
                {
                    if (!await target.CycleAsync(sessionId)) throw new InvalidOperationException($"cycle failed for {sessionId}");
                }
                else
                {
                    await target.Supervisor.Ask<Protocol.RunnerReplies.RunnerSnapshot>(new GetStatus(sessionId), options.AskTimeout);
                }
            }
        })).ToArray();
        await Task.WhenAll(drivers);
        return count / System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static async Task<double> MeasureRawActorsAsync(int count, BenchOptions options)
    {
        Report.Progress($"memory: {count:N0} bare actors");
        var system = BenchSystems.CreatePlain("bench-memory-raw");
        try
        {
            var parent = system.ActorOf(Props.Create(() => new Parent()), "parent");
            await parent.Ask<int>(options.MemoryWarmSessions, TimeSpan.FromSeconds(60));
            var before = Settle();
            await parent.Ask<int>(count, TimeSpan.FromSeconds(300));
            var after = Settle();
            return (double)(after - before) / count;
        }
        finally
        {
            await BenchSystems.TerminateAsync(system);
        }
    }

    private static long Settle()
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            return Collect();
        }
        finally
        {
            Report.Progress($"  settled the heap in {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s");
        }
    }

    private static long Collect()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>Creates the requested number of bare children, then answers with the total.</summary>
    private sealed class Parent : UntypedActor
    {
        private int _children;

        protected override void OnReceive(object message)
        {
            if (message is not int count) return;
            for (var i = 0; i < count; i++) Context.ActorOf(Props.Create<Bare>(), "c" + _children++);
            Sender.Tell(_children);
        }
    }

    private sealed class Bare : UntypedActor
    {
        protected override void OnReceive(object message)
        {
        }
    }

    /// <summary>Follows the library's <c>bamboo.sessions.live</c> up-down counter.</summary>
    private sealed class LiveSessions : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _count;

        public LiveSessions()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == BambooMetrics.MeterName && instrument.Name == "bamboo.sessions.live")
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _count, value));
            _listener.Start();
        }

        public long Count => Interlocked.Read(ref _count);

        public async Task WaitForAsync(long target, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (Count > target && DateTime.UtcNow < deadline) await Task.Delay(100);
        }

        public void Dispose() => _listener.Dispose();
    }
}
