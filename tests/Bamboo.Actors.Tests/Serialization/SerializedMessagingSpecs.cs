using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.TestKit;
using Bamboo.Actors.Configuration;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using Bamboo.Actors.TestSupport;
using Bamboo.Actors.Tests.Scenarios;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.ExecutorSignals;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Serialization;

/// <summary>
/// A runner spec with <c>serialize-messages = on</c>: every message delivered to any actor (commands, replies, events
/// to subscribers and EventStream listeners, executor signals, the passivation stop) is serialized and deserialized on
/// the way, exactly as it would be between nodes. A Bamboo.Actors message that is not bound to
/// <see cref="Bamboo.Actors.Serialization.BambooSerializer"/> reaches <see cref="FallbackGuardSerializer"/> and is lost.
/// </summary>
public abstract class SerializedRunnerSpec : RunnerSpec
{
    private static readonly Config SerializeEverything = ConfigurationFactory.ParseString("""
        akka.test.single-expect-default = 10s
        akka.actor.serialize-messages = on
        akka.actor.serialize-creators = off
        """).WithFallback(FallbackGuardSerializer.Config);

    private readonly TestProbe _logs;

    protected SerializedRunnerSpec(ITestOutputHelper output, RunnerSettings settings)
        : base(output, settings, SerializeEverything)
    {
        // A message that fails to serialize is dropped with an error log; a binding problem shows as a warning.
        _logs = CreateTestProbe();
        Sys.EventStream.Subscribe(_logs.Ref, typeof(Warning));
        Sys.EventStream.Subscribe(_logs.Ref, typeof(Error));
    }

    protected void AssertNoSerializationTrouble() => _logs.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
}

public sealed class SerializedMessagingSpecs(ITestOutputHelper output)
    : SerializedRunnerSpec(output, RunnerSettings.Default with { EventRetention = 6 })
{
    [Fact]
    public void Should_verify_every_message()
    {
        Assert.True(Sys.Settings.SerializeAllMessages);
        Assert.IsType<Bamboo.Actors.Serialization.BambooSerializer>(Sys.Serialization.FindSerializerFor(new GetStatus("s1")));
    }

    [Fact]
    public void Should_run_reserve_publish_subscribe_cancel_and_finalize_with_an_executor()
    {
        var executor = CreateTestProbe();
        var subscriber = Subscriber("s1");
        var listener = CreateTestProbe();
        Sys.EventStream.Subscribe(listener.Ref, typeof(AgentEvent));

        var run = Reserve("s1", executor.Ref, deadline: TimeSpan.FromMinutes(5));
        Supervisor.Tell(new Publish("s1", run.RunId, new TokenDelta("Hel")));
        Supervisor.Tell(new Publish("s1", run.RunId, new ToolLifecycle("search", ToolPhase.Begin)));
        Supervisor.Tell(new Publish("s1", run.RunId, new TokenBudget(10, 100)));
        var published = Ask<Published>(new Publish("s1", run.RunId, new RunnerProgress(2), Acknowledge: true));
        Assert.Equal((5L, false), (published.Sequence, published.CancelRequested));

        var requested = Ask<CancelRequested>(new Cancel("s1", run.RunId, "user pressed stop"));
        Assert.Equal(new CancelRun("s1", run.RunId, "user pressed stop"), executor.ExpectMsg<CancelRun>());
        var snapshot = Status("s1");
        Assert.Equal((RunStatus.Running, true, 2, "search", ToolPhase.Begin, 1), (snapshot.Status, snapshot.CancelRequested,
            snapshot.RoundCount, snapshot.LastToolName, snapshot.LastToolPhase, snapshot.SubscriberCount));
        Assert.NotNull(snapshot.DeadlineAt);

        var finalized = Ask<Finalized>(new Finalize("s1", run.RunId, RunOutcome.Cancelled));

        Assert.Equal(new Finalized("s1", run.RunId, RunStatus.Cancelled), finalized);
        Assert.Equal(run.RunId, requested.RunId);
        var events = subscriber.ReceiveN(7).Cast<AgentEvent>().ToList();
        Assert.Equal(
            [typeof(ExecutionStarted), typeof(TokenDelta), typeof(ToolLifecycle), typeof(TokenBudget),
                typeof(RunnerProgress), typeof(RunCancelling), typeof(ExecutionFinished)],
            events.Select(e => e.GetType()));
        Assert.Equal([1L, 2, 3, 4, 5, 6, 7], events.Select(e => e.Sequence));
        Assert.All(events, e => Assert.Equal(("s1", run.RunId), (e.SessionId, e.RunId)));
        Assert.All(events, e => Assert.NotEqual(default, e.Timestamp));
        Assert.Equal("Hel", ((TokenDelta)events[1]).Text);
        Assert.Equal("user pressed stop", ((RunCancelling)events[5]).Reason);
        Assert.Equal(events, listener.ReceiveN(7).Cast<AgentEvent>());
        Assert.Equal(RunStatus.Cancelled, ((ExecutionFinished)events[6]).Status);
        Assert.Equal(RunStatus.Cancelled, Ask<AlreadyFinalized>(new Finalize("s1", run.RunId, RunOutcome.Completed)).Status);
        AssertNoSerializationTrouble();
    }

    [Fact]
    public void Should_apply_conflict_policies_and_fencing()
    {
        var first = Reserve("s1");
        Assert.Equal(first.RunId, Ask<AlreadyRunning>(new Reserve("s1")).RunId);
        var waiter = CreateTestProbe();
        Supervisor.Tell(new Reserve("s1", ConflictPolicy.Enqueue), waiter.Ref);
        var queued = waiter.ExpectMsg<Queued>();
        Assert.Equal(1, queued.Position);

        Ask<Finalized>(new Finalize("s1", first.RunId, RunOutcome.Failed("model error")));
        var second = waiter.ExpectMsg<Reserved>();
        Assert.Equal(queued.RunId, second.RunId);

        var third = Reserve("s1", policy: ConflictPolicy.Interrupt);
        Assert.Equal(new StaleRun("s1", second.RunId, third.RunId), Ask<StaleRun>(new Finalize("s1", second.RunId, RunOutcome.Completed)));
        Assert.Equal(new StaleRun("s1", first.RunId, third.RunId), Ask<StaleRun>(new Publish("s1", first.RunId, new TokenDelta("late"))));
        Ask<Finalized>(new Finalize("s1", third.RunId, RunOutcome.Completed));
        Assert.Equal(new NothingToCancel("s1"), Ask<NothingToCancel>(new Cancel("s1")));
        var invalid = Ask<InvalidCommand>(new Cancel("", Reason: "no session"));
        Assert.Equal("", invalid.SessionId);
        Assert.Equal(RunStatus.Completed, Status("s1").Status);
        AssertNoSerializationTrouble();
    }

    [Fact]
    public void Should_replay_with_a_gap_marker_and_unsubscribe()
    {
        var run = Reserve("s1");
        for (var i = 0; i < 8; i++) Ask<Published>(new Publish("s1", run.RunId, new TokenDelta($"t{i}"), Acknowledge: true));

        var resumed = Subscriber("s1", afterSequence: 1);

        var gap = Assert.IsType<ReplayGap>(resumed.ExpectMsg<AgentEvent>());
        Assert.Equal((2L, 3L), (gap.FromSequence, gap.ToSequence));
        Assert.Equal(Enumerable.Range(4, 6).Select(i => (long)i), resumed.ReceiveN(6).Cast<AgentEvent>().Select(e => e.Sequence));
        Supervisor.Tell(new Unsubscribe("s1", resumed.Ref), resumed.Ref);
        resumed.ExpectMsg<Unsubscribed>();
        Supervisor.Tell(new Publish("s1", run.RunId, new TokenDelta("unseen")));
        resumed.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        AssertNoSerializationTrouble();
    }

    [Fact]
    public void Should_end_the_run_when_the_executor_dies_and_withdraw_its_queued_run()
    {
        var executor = CreateTestProbe();
        var run = Reserve("s1", executor.Ref);
        var waiter = CreateTestProbe();
        var queuedExecutor = CreateTestProbe();
        Supervisor.Tell(new Reserve("s1", ConflictPolicy.Enqueue, queuedExecutor.Ref), waiter.Ref);
        var queued = waiter.ExpectMsg<Queued>();
        var subscriber = Subscriber("s1", afterSequence: Status("s1").LastSequence);

        Sys.Stop(queuedExecutor.Ref);
        Assert.Equal(new Rejected("s1", "executor lost", queued.RunId), waiter.ExpectMsg<Rejected>());
        Sys.Stop(executor.Ref);

        var finished = ExpectEvent<ExecutionFinished>(subscriber, queued.RunId);
        Assert.Equal("executor lost", finished.Error);
        finished = ExpectEvent<ExecutionFinished>(subscriber, run.RunId);
        Assert.Equal((RunStatus.Error, "executor lost"), (finished.Status, finished.Error));
        AssertNoSerializationTrouble();
    }

}

public sealed class SerializedPassivationSpecs(ITestOutputHelper output)
    : SerializedRunnerSpec(output, RunnerSettings.Default with { IdleTimeout = TimeSpan.FromMilliseconds(300) })
{
    [Fact]
    public void Should_passivate_an_idle_session_through_the_serialized_stop_message_and_lose_no_command()
    {
        var run = Reserve("idle");
        Ask<Finalized>(new Finalize("idle", run.RunId, RunOutcome.Completed));

        for (var round = 0; round < 3; round++)
        {
            Supervisor.Tell(new GetStatus("idle"), TestActor);
            Assert.Equal(round == 0 ? RunStatus.Completed : RunStatus.Pending, ExpectMsg<RunnerSnapshot>().Status);
            var runner = LastSender;
            Watch(runner);
            ExpectTerminated(runner, TimeSpan.FromSeconds(3));
            for (var i = 0; i < 10; i++) Supervisor.Tell(new GetStatus("idle"), TestActor);
            for (var i = 0; i < 10; i++) Assert.Equal(RunStatus.Pending, ExpectMsg<RunnerSnapshot>().Status);
        }
        AssertNoSerializationTrouble();
    }
}
