using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.ExecutorSignals;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Scenarios;

public class InterruptSpecs(ITestOutputHelper output) : RunnerSpec(output)
{
    [Fact]
    public void Should_cancel_the_active_run_at_once_signal_its_executor_and_start_the_new_run()
    {
        var oldExecutor = CreateTestProbe();
        var old = Reserve("s1", oldExecutor.Ref);
        var subscriber = Subscriber("s1");
        ExpectEvent<ExecutionStarted>(subscriber);

        Supervisor.Tell(new Reserve("s1", ConflictPolicy.Interrupt), TestActor);
        var newer = ExpectMsg<Reserved>();

        Assert.NotEqual(old.RunId, newer.RunId);
        Assert.Equal(new CancelRun("s1", old.RunId, "interrupted"), oldExecutor.ExpectMsg<CancelRun>());
        ExpectEvent<RunCancelling>(subscriber, old.RunId);
        Assert.Equal(RunStatus.Cancelled, ExpectEvent<ExecutionFinished>(subscriber, old.RunId).Status);
        ExpectEvent<ExecutionStarted>(subscriber, newer.RunId);
        var status = Status("s1");
        Assert.Equal(RunStatus.Running, status.Status);
        Assert.Equal(newer.RunId, status.RunId);
        Assert.False(status.CancelRequested);
    }

    [Fact]
    public void Should_fence_everything_the_interrupted_executor_still_sends()
    {
        var old = Reserve("s1");
        Supervisor.Tell(new Reserve("s1", ConflictPolicy.Interrupt), TestActor);
        var newer = ExpectMsg<Reserved>();

        Assert.Equal(newer.RunId, Ask<StaleRun>(new Publish("s1", old.RunId, new TokenDelta("late"))).CurrentRunId);
        Assert.Equal(newer.RunId, Ask<StaleRun>(new Finalize("s1", old.RunId, RunOutcome.Completed)).CurrentRunId);
        Assert.Equal(newer.RunId, Ask<StaleRun>(new Cancel("s1", old.RunId)).CurrentRunId);
        Assert.Equal(RunStatus.Running, Status("s1").Status);
    }

    [Fact]
    public void Should_simply_reserve_when_nothing_is_running()
    {
        Supervisor.Tell(new Reserve("s1", ConflictPolicy.Interrupt), TestActor);
        ExpectMsg<Reserved>();
    }

    [Fact]
    public void Should_stop_watching_the_interrupted_executor()
    {
        var oldExecutor = CreateTestProbe();
        Reserve("s1", oldExecutor.Ref);
        Supervisor.Tell(new Reserve("s1", ConflictPolicy.Interrupt), TestActor);
        var newer = ExpectMsg<Reserved>();
        oldExecutor.ExpectMsg<CancelRun>();

        Sys.Stop(oldExecutor.Ref);

        // The interrupted run's executor dying must not end the newer run.
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        var status = Status("s1");
        Assert.Equal(RunStatus.Running, status.Status);
        Assert.Equal(newer.RunId, status.RunId);
    }
}

public class EnqueueSpecs(ITestOutputHelper output)
    : RunnerSpec(output, RunnerSettings.Default with { MaxQueueLength = 2 })
{
    [Fact]
    public void Should_queue_runs_in_fifo_order_and_start_each_when_the_previous_ends()
    {
        var first = Reserve("s1");
        var second = CreateTestProbe();
        var third = CreateTestProbe();
        Supervisor.Tell(new Reserve("s1", ConflictPolicy.Enqueue), second.Ref);
        var q2 = second.ExpectMsg<Queued>();
        Supervisor.Tell(new Reserve("s1", ConflictPolicy.Enqueue), third.Ref);
        var q3 = third.ExpectMsg<Queued>();
        Assert.Equal(1, q2.Position);
        Assert.Equal(2, q3.Position);
        Assert.Equal(2, Status("s1").QueueLength);

        Ask<Finalized>(new Finalize("s1", first.RunId, RunOutcome.Completed));

        var started2 = second.ExpectMsg<Reserved>();
        Assert.Equal(q2.RunId, started2.RunId);
        Assert.Equal(q2.RunId, Status("s1").RunId);
        third.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        Ask<Finalized>(new Finalize("s1", q2.RunId, RunOutcome.Failed("boom")));

        Assert.Equal(q3.RunId, third.ExpectMsg<Reserved>().RunId);
        var status = Status("s1");
        Assert.Equal(RunStatus.Running, status.Status);
        Assert.Equal(0, status.QueueLength);
    }

    [Fact]
    public void Should_publish_RunQueued_for_the_queued_run()
    {
        Reserve("s1");
        var subscriber = Subscriber("s1");
        ExpectEvent<ExecutionStarted>(subscriber);

        var queued = Ask<Queued>(new Reserve("s1", ConflictPolicy.Enqueue));

        Assert.Equal(1, ExpectEvent<RunQueued>(subscriber, queued.RunId).Position);
    }

    [Fact]
    public void Should_reject_with_queue_full_when_the_queue_is_at_its_bound()
    {
        Reserve("s1");
        Ask<Queued>(new Reserve("s1", ConflictPolicy.Enqueue));
        Ask<Queued>(new Reserve("s1", ConflictPolicy.Enqueue));

        var rejected = Ask<Rejected>(new Reserve("s1", ConflictPolicy.Enqueue));

        Assert.Equal("queue_full", rejected.Reason);
        Assert.Equal(2, Status("s1").QueueLength);
    }

    [Fact]
    public void Should_remove_a_queued_run_cancelled_by_run_id_and_never_start_it()
    {
        var first = Reserve("s1");
        var waiter = CreateTestProbe();
        Supervisor.Tell(new Reserve("s1", ConflictPolicy.Enqueue), waiter.Ref);
        var queued = waiter.ExpectMsg<Queued>();
        var nextWaiter = CreateTestProbe();
        Supervisor.Tell(new Reserve("s1", ConflictPolicy.Enqueue), nextWaiter.Ref);
        var next = nextWaiter.ExpectMsg<Queued>();
        var subscriber = Subscriber("s1", afterSequence: Status("s1").LastSequence);

        Assert.Equal(queued.RunId, Ask<CancelRequested>(new Cancel("s1", queued.RunId)).RunId);

        Assert.Equal(new Rejected("s1", "cancelled", queued.RunId), waiter.ExpectMsg<Rejected>());
        Assert.Equal(RunStatus.Cancelled, ExpectEvent<ExecutionFinished>(subscriber, queued.RunId).Status);
        var status = Status("s1");
        Assert.Equal(1, status.QueueLength);
        Assert.Equal(first.RunId, status.RunId);
        Assert.False(status.CancelRequested);

        Ask<Finalized>(new Finalize("s1", first.RunId, RunOutcome.Completed));
        Assert.Equal(next.RunId, nextWaiter.ExpectMsg<Reserved>().RunId);
        Assert.Equal(next.RunId, Status("s1").RunId);
        waiter.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Should_reserve_at_once_when_nothing_is_running()
    {
        Supervisor.Tell(new Reserve("s1", ConflictPolicy.Enqueue), TestActor);
        ExpectMsg<Reserved>();
    }
}
