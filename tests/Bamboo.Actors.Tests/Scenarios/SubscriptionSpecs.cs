using Akka.Actor;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Scenarios;

public class SubscriptionSpecs(ITestOutputHelper output)
    : RunnerSpec(output, RunnerSettings.Default with { EventRetention = 10, ReplayCriticalEvents = 4 })
{
    [Fact]
    public void Should_deliver_every_event_to_a_subscriber_that_subscribed_before_the_run()
    {
        var subscriber = Subscriber("s1");

        var run = Reserve("s1");
        Supervisor.Tell(new Publish("s1", run.RunId, new TokenDelta("Hel")));
        Supervisor.Tell(new Publish("s1", run.RunId, new ToolStarted("search")));
        Ask<Finalized>(new Finalize("s1", run.RunId, RunOutcome.Completed));

        var events = subscriber.ReceiveN(4).Cast<AgentEvent>().ToList();
        Assert.Equal(
            [typeof(ExecutionStarted), typeof(TokenDelta), typeof(ToolStarted), typeof(ExecutionFinished)],
            events.Select(e => e.GetType()));
        Assert.Equal([1L, 2, 3, 4], events.Select(e => e.Sequence));
        Assert.All(events, e => Assert.Equal(run.RunId, e.RunId));
        Assert.All(events, e => Assert.Equal("s1", e.SessionId));
        Assert.Equal("Hel", ((TokenDelta)events[1]).Text);
    }

    [Fact]
    public void Should_replay_the_latest_budget_and_the_last_critical_events_to_a_late_subscriber()
    {
        var run = Reserve("s1");                                                     // 1 started (critical)
        Publish(run, new TokenBudget(10, 100));                               // 2
        Publish(run, new ToolStarted("a"));                                          // 3 critical
        Publish(run, new TokenDelta("x"));                                           // 4
        Publish(run, new ToolLifecycle("a", ToolPhase.Finished));                    // 5 critical
        Publish(run, new TokenBudget(20, 100));                               // 6
        Publish(run, new ToolStarted("b"));                                          // 7 critical
        Publish(run, new ToolLifecycle("b", ToolPhase.Error));                       // 8 critical
        Publish(run, new RunnerProgress(2));                                         // 9

        var late = Subscriber("s1");

        var replay = late.ReceiveN(5).Cast<AgentEvent>().ToList();
        Assert.Equal([3L, 5, 6, 7, 8], replay.Select(e => e.Sequence));
        Assert.Equal(20, Assert.IsType<TokenBudget>(replay[2]).Used);
        late.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Should_resume_after_a_cursor_then_continue_live_without_gap_or_duplicate()
    {
        var run = Reserve("s1");
        for (var i = 0; i < 4; i++) Publish(run, new TokenDelta($"t{i}"));           // 2..5

        var resumed = Subscriber("s1", afterSequence: 3);
        Publish(run, new TokenDelta("live"));                                          // 6

        var events = resumed.ReceiveN(3).Cast<AgentEvent>().ToList();
        Assert.Equal([4L, 5, 6], events.Select(e => e.Sequence));
        resumed.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Should_open_a_cursor_replay_with_a_gap_marker_when_events_were_evicted()
    {
        var run = Reserve("s1");
        for (var i = 0; i < 14; i++) Publish(run, new TokenDelta($"t{i}"));          // 2..15; retention keeps 6..15

        var resumed = Subscriber("s1", afterSequence: 2);

        var gap = Assert.IsType<ReplayGap>(resumed.ExpectMsg<AgentEvent>());
        Assert.Equal((3L, 5L), (gap.FromSequence, gap.ToSequence));
        var events = resumed.ReceiveN(10).Cast<AgentEvent>().ToList();
        Assert.Equal(Enumerable.Range(6, 10).Select(i => (long)i), events.Select(e => e.Sequence));
    }

    [Fact]
    public void Should_replay_nothing_for_a_cursor_at_the_latest_sequence()
    {
        var run = Reserve("s1");
        Publish(run, new TokenDelta("x"));

        var resumed = Subscriber("s1", afterSequence: 2);

        resumed.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Should_drop_a_terminated_subscriber()
    {
        var subscriber = Subscriber("s1");
        Assert.Equal(1, Status("s1").SubscriberCount);

        Sys.Stop(subscriber.Ref);

        AwaitAssert(() => Assert.Equal(0, Status("s1").SubscriberCount));
    }

    [Fact]
    public void Should_stop_delivering_after_unsubscribe()
    {
        var subscriber = Subscriber("s1");
        Supervisor.Tell(new Unsubscribe("s1", subscriber.Ref), subscriber.Ref);
        subscriber.ExpectMsg<Unsubscribed>();

        Reserve("s1");

        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(0, Status("s1").SubscriberCount);
    }

    [Fact]
    public void Should_keep_sequences_monotonic_across_runs()
    {
        var subscriber = Subscriber("s1");
        var first = Reserve("s1");
        Ask<Finalized>(new Finalize("s1", first.RunId, RunOutcome.Completed));
        Reserve("s1");

        var events = subscriber.ReceiveN(3).Cast<AgentEvent>().ToList();
        Assert.Equal([1L, 2, 3], events.Select(e => e.Sequence));
    }

    [Fact]
    public void Should_publish_every_event_on_the_event_stream_as_its_subtype()
    {
        var listener = CreateTestProbe();
        Sys.EventStream.Subscribe(listener.Ref, typeof(AgentEvent));
        var toolListener = CreateTestProbe();
        Sys.EventStream.Subscribe(toolListener.Ref, typeof(ToolStarted));

        var run = Reserve("s1");
        Publish(run, new ToolStarted("search"));
        Ask<Finalized>(new Finalize("s1", run.RunId, RunOutcome.Completed));

        Assert.IsType<ExecutionStarted>(listener.ExpectMsg<AgentEvent>());
        Assert.IsType<ToolStarted>(listener.ExpectMsg<AgentEvent>());
        Assert.IsType<ExecutionFinished>(listener.ExpectMsg<AgentEvent>());
        var tool = toolListener.ExpectMsg<ToolStarted>();
        Assert.Equal(("s1", run.RunId, 2L), (tool.SessionId, tool.RunId, tool.Sequence));
        toolListener.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    private void Publish(Reserved run, AgentEvent evt)
    {
        Supervisor.Tell(new Publish(run.SessionId, run.RunId, evt, Acknowledge: true), TestActor);
        ExpectMsg<Published>();
    }
}

public class PublishSpecs(ITestOutputHelper output) : RunnerSpec(output)
{
    [Fact]
    public void Should_track_diagnostics_from_progress_events()
    {
        var run = Reserve("s1");
        Supervisor.Tell(new Publish("s1", run.RunId, new ToolStarted("search")));
        Supervisor.Tell(new Publish("s1", run.RunId, new RunnerProgress(3)));
        Supervisor.Tell(new Publish("s1", run.RunId, new ToolLifecycle("search", ToolPhase.Finished)));

        var status = Status("s1");

        Assert.Equal("search", status.LastToolName);
        Assert.Equal(ToolPhase.Finished, status.LastToolPhase);
        Assert.Equal(3, status.RoundCount);
        Assert.Equal(4, status.LastSequence);
        Assert.NotNull(status.LastEventAt);
    }

    [Fact]
    public void Should_reset_run_diagnostics_when_a_new_run_starts()
    {
        var run = Reserve("s1");
        Supervisor.Tell(new Publish("s1", run.RunId, new ToolStarted("search")));
        Supervisor.Tell(new Publish("s1", run.RunId, new RunnerProgress(3)));
        Ask<Finalized>(new Finalize("s1", run.RunId, RunOutcome.Completed));

        Reserve("s1");

        var status = Status("s1");
        Assert.Null(status.LastToolName);
        Assert.Equal(0, status.RoundCount);
    }

    [Fact]
    public void Should_acknowledge_with_the_sequence_and_whether_cancellation_was_requested()
    {
        var run = Reserve("s1");

        var first = Ask<Published>(new Publish("s1", run.RunId, new TokenDelta("a"), Acknowledge: true));
        Ask<CancelRequested>(new Cancel("s1"));
        var second = Ask<Published>(new Publish("s1", run.RunId, new TokenDelta("b"), Acknowledge: true));

        Assert.Equal((2L, false), (first.Sequence, first.CancelRequested));
        Assert.Equal((4L, true), (second.Sequence, second.CancelRequested));
    }

    [Fact]
    public void Should_answer_nothing_on_unacknowledged_success_and_StaleRun_when_fenced()
    {
        var run = Reserve("s1");

        Supervisor.Tell(new Publish("s1", run.RunId, new TokenDelta("a")), TestActor);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        Supervisor.Tell(new Publish("s1", Guid.NewGuid().ToString(), new TokenDelta("b")), TestActor);
        Assert.Equal(run.RunId, ExpectMsg<StaleRun>().CurrentRunId);
        Assert.Equal(2, Status("s1").LastSequence);
    }

    [Fact]
    public void Should_fence_a_publish_after_the_run_ended()
    {
        var run = Reserve("s1");
        Ask<Finalized>(new Finalize("s1", run.RunId, RunOutcome.Completed));

        Ask<StaleRun>(new Publish("s1", run.RunId, new TokenDelta("late")));

        Assert.Equal(2, Status("s1").LastSequence);
    }
}
