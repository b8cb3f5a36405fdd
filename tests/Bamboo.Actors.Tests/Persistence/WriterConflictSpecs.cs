using System.Diagnostics.Metrics;
using Akka.Actor;
using Bamboo.Actors.Diagnostics;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Persistence;

/// <summary>
/// Two incarnations of one session writing the same journal (what a broken hand-off or two clusters on one store would
/// do): the one whose write meets the other's sequence number records nothing, says so, stops and counts the conflict;
/// the session goes on from what the other recorded.
/// </summary>
public sealed class WriterConflictSpecs : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TempFolder _folder = new();

    [Fact]
    public async Task Should_refuse_a_write_that_meets_another_writers_fact_and_count_the_conflict()
    {
        using var conflicts = new CounterListener("bamboo.journal.writer_conflicts");
        await using var system = DurableSystem.OnSqlite(_folder.Path);
        var first = system.System.ActorOf(DurableSessionRunner.Props("two-writers", system.Settings), "first");
        var run = await first.Ask<Reserved>(new Reserve("two-writers"), Timeout);

        // A second incarnation recovers the run and ends it.
        var second = system.System.ActorOf(DurableSessionRunner.Props("two-writers", system.Settings), "second");
        Assert.IsType<Finalized>(await second.Ask<IRunnerReply>(new Finalize("two-writers", run.RunId, RunOutcome.Completed), Timeout));

        // The first, which still believes the run is active, tries to write the same sequence number.
        var refused = await first.Ask<IRunnerReply>(new Cancel("two-writers", run.RunId), Timeout);

        Assert.Equal("another writer holds this session", Assert.IsType<Unavailable>(refused).Reason);
        Assert.True(conflicts.Total >= 1);
        var recovered = system.System.ActorOf(DurableSessionRunner.Props("two-writers", system.Settings), "third");
        var status = await recovered.Ask<RunnerSnapshot>(new GetStatus("two-writers"), Timeout);
        Assert.Equal((RunStatus.Completed, run.RunId, false), (status.Status, status.RunId, status.CancelRequested));
    }

    public void Dispose() => _folder.Dispose();

    /// <summary>Sums one counter of the Bamboo.Actors meter while it lives.</summary>
    private sealed class CounterListener : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _total;

        public CounterListener(string instrument)
        {
            _listener.InstrumentPublished = (published, listener) =>
            {
                if (published.Meter.Name == BambooMetrics.MeterName && published.Name == instrument) listener.EnableMeasurementEvents(published);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _total, value));
            _listener.Start();
        }

        public long Total => Interlocked.Read(ref _total);

        public void Dispose() => _listener.Dispose();
    }
}
