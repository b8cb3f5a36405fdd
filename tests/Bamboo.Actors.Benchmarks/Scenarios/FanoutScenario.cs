using System.Diagnostics;
using Akka.Actor;
using Bamboo.Actors.Benchmarks.Harness;
using Bamboo.Actors.Benchmarks.Targets;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Benchmarks.Scenarios;

/// <summary>Scenario 5: event deliveries per second from one running session to 1, 10 and 100 subscriber actors.</summary>
public static class FanoutScenario
{
    private const int Window = 20_000;

    /// <summary>Runs every subscriber count and prints the table.</summary>
    public static async Task RunAsync(BenchOptions options)
    {
        Report.Heading("Scenario 5 — fan-out: deliveries/s from one running session to N subscriber actors", options);
        var (system, supervisor) = BenchSystems.CreateLocal("bench-fanout");
        var table = new MarkdownTable("subscribers", "events published", "deliveries", "seconds", "events/s", "deliveries/s", "CPU % (all cores)", "alloc B/delivery", "target met (≥ 1M/s at 100)");
        try
        {
            // A short untimed pass first, so the JIT and tiering do not land in the first row.
            await MeasureAsync(system, supervisor, "fanout-warmup", 10, Math.Min(options.FanoutDeliveries / 10, 200_000), options);
            foreach (var subscribers in options.FanoutSubscribers)
            {
                var events = options.FanoutDeliveries / subscribers;
                Report.Progress($"fanout: {subscribers} subscribers, {events:N0} events");
                var r = await MeasureAsync(system, supervisor, $"fanout-{subscribers}", subscribers, events, options);
                var deliveries = events * subscribers;
                var perSecond = deliveries / r.Elapsed.TotalSeconds;
                table.Row(subscribers, events, deliveries, r.Elapsed.TotalSeconds, events / r.Elapsed.TotalSeconds, perSecond,
                    r.CpuPercent, (double)r.Allocated / deliveries, subscribers == 100 ? LifecycleScenario.Met(perSecond >= 1_000_000) : "");
            }
        }
        finally
        {
            await BenchSystems.TerminateAsync(system);
        }
        Report.Table(table);
        Report.Note("One publisher thread sends unacknowledged Publish commands through the RunnerSupervisor (as a RunLease does), " +
                    $"never more than {Window:N0} events ahead of the slowest subscriber; the clock stops when every subscriber has every event.");
        Report.Note("Every event also goes to the ActorSystem EventStream (no listener there) and into the session's retention ring.");
    }

    private static async Task<(TimeSpan Elapsed, double CpuPercent, long Allocated)> MeasureAsync(ActorSystem system, IActorRef supervisor,
        string sessionId, int subscriberCount, long events, BenchOptions options)
    {
        var received = new long[subscriberCount];
        var done = new TaskCompletionSource[subscriberCount];
        var subscribers = new IActorRef[subscriberCount];
        for (var i = 0; i < subscriberCount; i++)
        {
            done[i] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var slot = i;
            subscribers[i] = system.ActorOf(Props.Create(() => new CountingSubscriber(received, slot, events, done[slot])));
            await supervisor.Ask<Subscribed>(new Subscribe(sessionId, subscribers[i]), options.AskTimeout);
        }
        var run = await supervisor.Ask<Reserved>(new Reserve(sessionId), options.AskTimeout);
        var publish = new Publish(sessionId, run.RunId, BenchEvents.Delta);

        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var allocated = GC.GetTotalAllocatedBytes(precise: false);
        var started = Stopwatch.GetTimestamp();
        await Task.Run(async () =>
        {
            for (long sent = 0; sent < events; sent++)
            {
                if (sent % 1_000 == 0)
                {
                    while (sent - Slowest(received) > Window) await Task.Yield();
                }
                supervisor.Tell(publish);
            }
        });
        await Task.WhenAll(done.Select(d => d.Task)).WaitAsync(TimeSpan.FromMinutes(5));
        var elapsed = Stopwatch.GetElapsedTime(started);
        var cpuPercent = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds / elapsed.TotalSeconds / Environment.ProcessorCount * 100;
        var allocatedBytes = GC.GetTotalAllocatedBytes(precise: false) - allocated;

        await supervisor.Ask<Finalized>(new Finalize(sessionId, run.RunId, RunOutcome.Completed), options.AskTimeout);
        foreach (var subscriber in subscribers) system.Stop(subscriber);
        return (elapsed, cpuPercent, allocatedBytes);
    }

    private static long Slowest(long[] received)
    {
        var min = long.MaxValue;
        for (var i = 0; i < received.Length; i++) min = Math.Min(min, Volatile.Read(ref received[i]));
        return min;
    }

    /// <summary>Counts token deltas; completes when it has seen all of them.</summary>
    private sealed class CountingSubscriber(long[] received, int slot, long expected, TaskCompletionSource done) : UntypedActor
    {
        private long _count;

        protected override void OnReceive(object message)
        {
            if (message is not TokenDelta) return;
            _count++;
            if ((_count & 255) == 0 || _count == expected) Volatile.Write(ref received[slot], _count);
            if (_count == expected) done.TrySetResult();
        }
    }
}
