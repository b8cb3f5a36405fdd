using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Runners;

/// <summary>Subscribers are part of the state: who receives events, who is watched, and when a session is idle.</summary>
public sealed class RunnerStateSubscribeSpecs : RunnerStateSpec
{
    private const string Reader = "reader";

    [Fact]
    public void Should_tell_a_subscriber_whether_the_numbering_is_durable()
    {
        var inMemory = new RunnerState<string>(Session, Settings);

        Assert.Equal(new Subscribed(Session, 0, Durable: false), inMemory.Subscribe(Reader, afterSequence: null).Reply);
        Assert.Equal(new Subscribed(Session, 0, Durable: true), State.Subscribe(Reader, afterSequence: null).Reply);
    }

    [Fact]
    public void Should_reply_Subscribed_replay_and_watch_a_new_subscriber()
    {
        var runId = Start(T0);

        var decision = State.Subscribe(Reader, afterSequence: 0);

        Assert.Equal(new Subscribed(Session, 1, Durable: true), decision.Reply);
        var deliver = Assert.IsType<RunnerEffect<string>.Deliver>(decision.Effects[0]);
        Assert.Equal(Reader, deliver.Subscriber);
        Assert.Equal([Stamped(new ExecutionStarted(), runId, 1, T0)], deliver.Events);
        Assert.Equal(Watch(Reader), decision.Effects[1]);
        Assert.Equal(1, State.SubscriberCount);
    }

    [Fact]
    public void Should_not_deliver_an_empty_replay()
    {
        var decision = State.Subscribe(Reader, afterSequence: null);

        AssertDecision(decision, new Subscribed(Session, 0, Durable: true), Watch(Reader));
    }

    [Fact]
    public void Should_watch_a_subscriber_once_however_often_it_subscribes()
    {
        State.Subscribe(Reader, null);

        var again = State.Subscribe(Reader, null);

        AssertDecision(again, new Subscribed(Session, 0, Durable: true));
        Assert.Equal(1, State.SubscriberCount);
    }

    [Fact]
    public void Should_unwatch_a_subscriber_that_unsubscribes()
    {
        var subscribed = State.Subscribe(Reader, null);

        var unsubscribed = State.Unsubscribe(Reader);

        AssertDecision(unsubscribed, new Unsubscribed(Session), Unwatch(Reader));
        Assert.Empty(Watched(subscribed, unsubscribed));
        Assert.Equal(0, State.SubscriberCount);
    }

    [Fact]
    public void Should_answer_an_unknown_unsubscribe_and_change_nothing() =>
        AssertChangesNothing(() => State.Unsubscribe(Reader), new Unsubscribed(Session));

    [Fact]
    public void Should_keep_watching_an_executor_that_subscribes_and_unsubscribes()
    {
        var reserved = Reserve(T0, executor: ExecA);
        var subscribed = State.Subscribe(ExecA, null);
        var unsubscribed = State.Unsubscribe(ExecA);

        Assert.DoesNotContain(subscribed.Effects, e => e is RunnerEffect<string>.Watch);
        Assert.DoesNotContain(unsubscribed.Effects, e => e is RunnerEffect<string>.Unwatch);
        Assert.Equal([ExecA], Watched(reserved, subscribed, unsubscribed));
    }

    [Fact]
    public void Should_keep_watching_a_subscriber_whose_run_ends()
    {
        var subscribed = State.Subscribe(ExecA, null);
        var reserved = Reserve(T0, executor: ExecA);
        var finalized = State.Finalize("run-1", RunOutcome.Completed, At(1));

        Assert.DoesNotContain(reserved.Effects, e => e is RunnerEffect<string>.Watch);
        Assert.DoesNotContain(finalized.Effects, e => e is RunnerEffect<string>.Unwatch);
        Assert.Equal([ExecA], Watched(subscribed, reserved, finalized));
    }

    [Fact]
    public void Should_drop_a_subscriber_that_terminates()
    {
        State.Subscribe(Reader, null);

        var decision = State.Terminated(Reader, T0);

        AssertDecision(decision, null);
        Assert.Equal(0, State.SubscriberCount);
        Assert.True(State.IsIdle);
    }

    [Fact]
    public void Should_end_the_run_and_drop_the_subscription_of_an_executor_that_subscribed_and_terminates()
    {
        Start(T0, ExecA);
        State.Subscribe(ExecA, null);

        State.Terminated(ExecA, At(1));

        Assert.Equal((RunStatus.Error, "executor lost", 0), (State.Status, State.Error, State.SubscriberCount));
    }

    [Fact]
    public void Should_not_be_idle_while_it_has_a_subscriber_a_run_or_a_queued_run()
    {
        Assert.True(State.IsIdle);
        State.Subscribe(Reader, null);
        Assert.False(State.IsIdle);
        Assert.False(State.HasRuns);
        State.Unsubscribe(Reader);
        Start(T0);
        Assert.False(State.IsIdle);
        Assert.True(State.HasRuns);
    }

    [Fact]
    public void Should_tell_a_drain_waiter_once_the_last_run_ends()
    {
        var runId = Start(T0, ExecA);
        Enqueue(At(1));

        var drain = State.Drain("shutting down", Waiter, At(2));
        Assert.DoesNotContain(drain.Effects, e => e is RunnerEffect<string>.Drained);
        var finalized = State.Finalize(runId, RunOutcome.Cancelled, At(3));

        Assert.Contains(new RunnerEffect<string>.Drained(Waiter), finalized.Effects);
        Assert.DoesNotContain(State.Cancel(null, null, At(4)).Effects, e => e is RunnerEffect<string>.Drained);
    }

    [Fact]
    public void Should_tell_a_drain_waiter_at_once_when_there_is_no_run()
    {
        State.Subscribe(Reader, null);

        var drain = State.Drain("shutting down", Waiter, T0);

        AssertDecision(drain, null, new RunnerEffect<string>.Drained(Waiter));
    }
}
