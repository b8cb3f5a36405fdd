using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Journal;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Persistence;

/// <summary>An in-memory journal whose writes wait at a gate the spec opens (a slow database).</summary>
public sealed class GatedJournal : MemoryJournal
{
    public static volatile TaskCompletionSource? Gate;

    /// <summary>Completes when a write has reached the gate.</summary>
    public static volatile TaskCompletionSource Waiting = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task<IImmutableList<Exception?>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        if (Gate is { } gate)
        {
            Waiting.TrySetResult();
            await gate.Task;
        }
        return await base.WriteMessagesAsync(messages, cancellationToken);
    }
}

[CollectionDefinition(nameof(HandOffSpecs), DisableParallelization = true)]
public sealed class GatedJournalCollection;

/// <summary>
/// A durable runner told to stop (shard hand-off, passivation) while its facts are being written finishes the write
/// first: the command's reply, watches and events are not lost, and nothing is written after the runner has stopped.
/// Commands that waited behind the write are handed back for the next incarnation.
/// </summary>
[Collection(nameof(HandOffSpecs))]
public sealed class HandOffSpecs : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Config Hocon = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.test.single-expect-default = 10s
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        bamboo-test.gated-journal {
          class = "Bamboo.Actors.Tests.Persistence.GatedJournal, Bamboo.Actors.Tests"
          plugin-dispatcher = "akka.actor.default-dispatcher"
        }
        """);

    private static readonly RunnerSettings Settings = RunnerSettings.Default with { Durable = true, JournalPluginId = "bamboo-test.gated-journal" };

    public HandOffSpecs(ITestOutputHelper output) : base(Hocon, output: output)
    {
        GatedJournal.Gate = null;
        GatedJournal.Waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [Fact]
    public async Task Should_finish_the_write_and_reply_before_stopping_when_told_to_stop_during_a_write()
    {
        var parent = CreateTestProbe();
        var runner = parent.ChildActorOf(DurableSessionRunner.Props("handoff-1", Settings));
        var executor = CreateTestProbe();
        // Recovery done before the gate closes (a status read waits behind it).
        runner.Tell(new GetStatus("handoff-1"), TestActor);
        ExpectMsg<RunnerSnapshot>();

        GatedJournal.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        runner.Tell(new Reserve("handoff-1", Executor: executor.Ref), TestActor);
        await GatedJournal.Waiting.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Watch(runner);
        runner.Tell(SessionRunner.Stop.Instance);
        runner.Tell(new GetStatus("handoff-1"), TestActor);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // still writing: neither stopped nor answered
        GatedJournal.Gate.SetResult();

        var reserved = ExpectMsg<Reserved>();
        ExpectTerminated(runner);
        // The status request waited behind the write and goes back to the parent for the next incarnation.
        var handedBack = parent.FishForMessage(message => message is GetStatus);
        Assert.Equal(TestActor, parent.LastSender);
        Assert.IsType<GetStatus>(handedBack);

        // What the stopped incarnation acknowledged is recorded: the next one recovers the run.
        GatedJournal.Gate = null;
        var next = Sys.ActorOf(DurableSessionRunner.Props("handoff-1", Settings));
        next.Tell(new GetStatus("handoff-1"), TestActor);
        var status = ExpectMsg<RunnerSnapshot>();
        Assert.Equal((RunStatus.Running, reserved.RunId), (status.Status, status.RunId));
    }

    [Fact]
    public void Should_record_the_events_of_a_waiting_batch_before_stopping_so_the_next_incarnation_replays_them()
    {
        // A batch that waits far longer than the spec: only the stop can have recorded it.
        var settings = Settings with { EventBatchInterval = TimeSpan.FromMinutes(5) };
        var parent = CreateTestProbe();
        var runner = parent.ChildActorOf(DurableSessionRunner.Props("handoff-4", settings));
        runner.Tell(new Reserve("handoff-4", Executor: CreateTestProbe().Ref), TestActor);
        var reserved = ExpectMsg<Reserved>();
        runner.Tell(new Publish("handoff-4", reserved.RunId, new TokenDelta("kept"), Acknowledge: true), TestActor);
        var published = ExpectMsg<Published>();

        Watch(runner);
        runner.Tell(SessionRunner.Stop.Instance);
        ExpectTerminated(runner);

        var next = Sys.ActorOf(DurableSessionRunner.Props("handoff-4", settings));
        next.Tell(new Subscribe("handoff-4", TestActor, AfterSequence: 0), TestActor);
        ExpectMsg<Subscribed>();
        var replayed = FishForMessage<TokenDelta>(_ => true);
        Assert.Equal(("kept", published.Sequence), (replayed.Text, replayed.Sequence));
    }

    [Fact]
    public async Task Should_record_a_waiting_batch_after_the_write_in_flight_when_told_to_stop_during_it()
    {
        var settings = Settings with { EventBatchInterval = TimeSpan.FromMinutes(5) };
        var parent = CreateTestProbe();
        var runner = parent.ChildActorOf(DurableSessionRunner.Props("handoff-5", settings));
        runner.Tell(new Reserve("handoff-5", Executor: CreateTestProbe().Ref), TestActor);
        var reserved = ExpectMsg<Reserved>();
        // Use up the first block of sequence numbers, so the next event's number must be reserved with a write.
        for (var i = 2; i <= RunnerState<IActorRef>.SequenceBlock; i++)
            runner.Tell(new Publish("handoff-5", reserved.RunId, new TokenDelta("."), Acknowledge: i == RunnerState<IActorRef>.SequenceBlock), TestActor);
        Assert.Equal(RunnerState<IActorRef>.SequenceBlock, ExpectMsg<Published>().Sequence);

        // That write is in flight when the stop arrives; the delta it numbers waits in a batch for its timer.
        GatedJournal.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        runner.Tell(new Publish("handoff-5", reserved.RunId, new TokenDelta("kept"), Acknowledge: true), TestActor);
        await GatedJournal.Waiting.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Watch(runner);
        runner.Tell(SessionRunner.Stop.Instance);
        GatedJournal.Gate.SetResult();
        var published = ExpectMsg<Published>();
        ExpectTerminated(runner);

        GatedJournal.Gate = null;
        var next = Sys.ActorOf(DurableSessionRunner.Props("handoff-5", settings));
        next.Tell(new Subscribe("handoff-5", TestActor, AfterSequence: published.Sequence - 1), TestActor);
        ExpectMsg<Subscribed>();
        var replayed = FishForMessage<TokenDelta>(_ => true);
        Assert.Equal(("kept", published.Sequence), (replayed.Text, replayed.Sequence));
    }

    [Fact]
    public void Should_count_an_active_run_on_one_incarnation_at_a_time_across_a_stop_and_recovery()
    {
        using var active = new GaugeListener("bamboo.runs.active");
        var first = Sys.ActorOf(DurableSessionRunner.Props("handoff-3", Settings));
        first.Tell(new Reserve("handoff-3", Executor: CreateTestProbe().Ref), TestActor);
        var reserved = ExpectMsg<Reserved>();
        AwaitAssert(() => Assert.Equal(1, active.Value));

        Watch(first);
        first.Tell(SessionRunner.Stop.Instance);
        ExpectTerminated(first);
        AwaitAssert(() => Assert.Equal(0, active.Value));

        var second = Sys.ActorOf(DurableSessionRunner.Props("handoff-3", Settings));
        second.Tell(new GetStatus("handoff-3"), TestActor);
        ExpectMsg<RunnerSnapshot>();
        AwaitAssert(() => Assert.Equal(1, active.Value));
        second.Tell(new Finalize("handoff-3", reserved.RunId, RunOutcome.Completed), TestActor);
        ExpectMsg<Finalized>();
        AwaitAssert(() => Assert.Equal(0, active.Value));
    }

    [Fact]
    public void Should_stop_at_once_when_told_to_stop_with_no_write_in_flight()
    {
        var parent = CreateTestProbe();
        var runner = parent.ChildActorOf(DurableSessionRunner.Props("handoff-2", Settings));
        runner.Tell(new GetStatus("handoff-2"), TestActor);
        ExpectMsg<RunnerSnapshot>();
        Watch(runner);

        runner.Tell(SessionRunner.Stop.Instance);

        ExpectTerminated(runner);
    }
}

/// <summary>The running sum of one counter or up-down counter of the Bamboo.Actors meter while it lives (specs that read
/// a gauge exactly run alone: their collection disables parallelization).</summary>
internal sealed class GaugeListener : IDisposable
{
    private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
    private long _value;

    public GaugeListener(string instrument)
    {
        _listener.InstrumentPublished = (published, listener) =>
        {
            if (published.Meter.Name == Diagnostics.BambooMetrics.MeterName && published.Name == instrument) listener.EnableMeasurementEvents(published);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _value, value));
        _listener.Start();
    }

    public long Value => Interlocked.Read(ref _value);

    public void Dispose() => _listener.Dispose();
}
