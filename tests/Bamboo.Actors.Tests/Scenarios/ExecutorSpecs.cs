using Akka.Actor;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.ExecutorSignals;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Scenarios;

public class ExecutorDeathSpecs(ITestOutputHelper output) : RunnerSpec(output)
{
    [Fact]
    public void Should_end_the_run_as_executor_lost_when_its_executor_terminates()
    {
        var executor = CreateTestProbe();
        var run = Reserve("s1", executor.Ref);
        var subscriber = Subscriber("s1");
        ExpectEvent<ExecutionStarted>(subscriber);

        Sys.Stop(executor.Ref);

        var finished = ExpectEvent<ExecutionFinished>(subscriber, run.RunId);
        Assert.Equal(RunStatus.Error, finished.Status);
        Assert.Equal("executor lost", finished.Error);
        var status = Status("s1");
        Assert.Equal(RunStatus.Error, status.Status);
        Assert.Equal("executor lost", status.Error);
        Reserve("s1");
    }

    [Fact]
    public void Should_start_the_next_queued_run_after_the_executor_is_lost()
    {
        var executor = CreateTestProbe();
        Reserve("s1", executor.Ref);
        var waiter = CreateTestProbe();
        Supervisor.Tell(new Reserve("s1", ConflictPolicy.Enqueue), waiter.Ref);
        var queued = waiter.ExpectMsg<Queued>();

        Sys.Stop(executor.Ref);

        Assert.Equal(queued.RunId, waiter.ExpectMsg<Reserved>().RunId);
    }

    [Fact]
    public void Should_withdraw_a_queued_run_whose_executor_terminates()
    {
        var active = Reserve("s1");
        var queuedExecutor = CreateTestProbe();
        Supervisor.Tell(new Reserve("s1", ConflictPolicy.Enqueue, queuedExecutor.Ref), TestActor);
        var queued = ExpectMsg<Queued>();
        var subscriber = Subscriber("s1", afterSequence: Status("s1").LastSequence);

        Sys.Stop(queuedExecutor.Ref);

        Assert.Equal(new Rejected("s1", "executor lost", queued.RunId), ExpectMsg<Rejected>());
        var finished = ExpectEvent<ExecutionFinished>(subscriber, queued.RunId);
        Assert.Equal("executor lost", finished.Error);
        var status = Status("s1");
        Assert.Equal(0, status.QueueLength);
        Assert.Equal(active.RunId, status.RunId);
        Assert.Equal(RunStatus.Running, status.Status);
    }

    [Fact]
    public void Should_stop_watching_an_executor_after_its_run_finalized()
    {
        var executor = CreateTestProbe();
        var run = Reserve("s1", executor.Ref);
        Ask<Finalized>(new Finalize("s1", run.RunId, RunOutcome.Completed));
        var next = Reserve("s1");

        Sys.Stop(executor.Ref);

        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        var status = Status("s1");
        Assert.Equal(RunStatus.Running, status.Status);
        Assert.Equal(next.RunId, status.RunId);
    }
}

public class DeadlineSpecs(ITestOutputHelper output)
    : RunnerSpec(output, RunnerSettings.Default with { DeadlineGrace = TimeSpan.FromMilliseconds(300) })
{
    [Fact]
    public void Should_signal_cancellation_when_the_deadline_passes_and_accept_a_cancelled_finalize_within_grace()
    {
        var executor = CreateTestProbe();
        var run = Reserve("s1", executor.Ref, deadline: TimeSpan.FromMilliseconds(200));
        var subscriber = Subscriber("s1");
        ExpectEvent<ExecutionStarted>(subscriber);

        Assert.Equal(new CancelRun("s1", run.RunId, "deadline exceeded"), executor.ExpectMsg<CancelRun>());
        Assert.Equal("deadline exceeded", ExpectEvent<RunCancelling>(subscriber, run.RunId).Reason);
        Assert.True(Status("s1").CancelRequested);

        Ask<Finalized>(new Finalize("s1", run.RunId, RunOutcome.Cancelled));
        Assert.Equal(RunStatus.Cancelled, ExpectEvent<ExecutionFinished>(subscriber, run.RunId).Status);
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        Assert.Equal(RunStatus.Cancelled, Status("s1").Status);
    }

    [Fact]
    public void Should_end_the_run_as_deadline_exceeded_when_the_executor_ignores_cancellation()
    {
        var executor = CreateTestProbe();
        var run = Reserve("s1", executor.Ref, deadline: TimeSpan.FromMilliseconds(200));
        var subscriber = Subscriber("s1");
        ExpectEvent<ExecutionStarted>(subscriber);
        executor.ExpectMsg<CancelRun>();
        ExpectEvent<RunCancelling>(subscriber);

        var finished = ExpectEvent<ExecutionFinished>(subscriber, run.RunId);

        Assert.Equal(RunStatus.Error, finished.Status);
        Assert.Equal("deadline exceeded", finished.Error);
        Assert.Equal("deadline exceeded", Status("s1").Error);
        Assert.Equal(RunStatus.Error, Ask<AlreadyFinalized>(new Finalize("s1", run.RunId, RunOutcome.Completed)).Status);
    }

    [Fact]
    public void Should_bound_a_run_without_an_executor_too()
    {
        var run = Reserve("worker-session", deadline: TimeSpan.FromMilliseconds(100));

        AwaitAssert(() => Assert.Equal(RunStatus.Error, Status("worker-session").Status), TimeSpan.FromSeconds(3));

        Assert.Equal("deadline exceeded", Status("worker-session").Error);
        Assert.Equal(run.RunId, Status("worker-session").RunId);
    }

    [Fact]
    public void Should_not_let_an_old_runs_deadline_touch_the_next_run()
    {
        var first = Reserve("s1", deadline: TimeSpan.FromMilliseconds(150));
        Ask<Finalized>(new Finalize("s1", first.RunId, RunOutcome.Completed));
        var second = Reserve("s1", deadline: TimeSpan.FromMinutes(5));

        ExpectNoMsg(TimeSpan.FromMilliseconds(600));

        var status = Status("s1");
        Assert.Equal(second.RunId, status.RunId);
        Assert.Equal(RunStatus.Running, status.Status);
        Assert.False(status.CancelRequested);
    }

    [Fact]
    public async Task Should_ignore_an_earlier_runs_timer_ticks_that_were_already_on_their_way()
    {
        // Cancelling a scheduler registration cannot recall a tick already in the mailbox: the run id must fence it.
        var executor = CreateTestProbe();
        var first = Reserve("s1", executor.Ref, deadline: TimeSpan.FromMinutes(5));
        Ask<Finalized>(new Finalize("s1", first.RunId, RunOutcome.Completed));
        var second = Reserve("s1", executor.Ref, deadline: TimeSpan.FromMinutes(5));
        var runner = await Sys.ActorSelection("/user/runners/s1").ResolveOne(TimeSpan.FromSeconds(10));

        runner.Tell(new RunnerTimers.DeadlineTick(first.RunId));
        runner.Tell(new RunnerTimers.GraceTick(first.RunId));

        var status = Status("s1");
        Assert.Equal(second.RunId, status.RunId);
        Assert.Equal(RunStatus.Running, status.Status);
        Assert.False(status.CancelRequested);
        executor.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }
}
