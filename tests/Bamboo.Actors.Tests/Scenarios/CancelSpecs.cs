using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.ExecutorSignals;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Scenarios;

public class CancelSpecs(ITestOutputHelper output) : RunnerSpec(output)
{
    [Fact]
    public void Should_request_cancellation_by_session_signal_the_executor_and_stay_running_until_finalized()
    {
        var executor = CreateTestProbe();
        var run = Reserve("s1", executor.Ref);
        var subscriber = Subscriber("s1");
        ExpectEvent<ExecutionStarted>(subscriber);

        var requested = Ask<CancelRequested>(new Cancel("s1", Reason: "user pressed stop"));

        Assert.Equal(run.RunId, requested.RunId);
        Assert.Equal(new CancelRun("s1", run.RunId, "user pressed stop"), executor.ExpectMsg<CancelRun>());
        Assert.Equal("user pressed stop", ExpectEvent<RunCancelling>(subscriber, run.RunId).Reason);
        var status = Status("s1");
        Assert.Equal(RunStatus.Running, status.Status);
        Assert.True(status.CancelRequested);

        Ask<Finalized>(new Finalize("s1", run.RunId, RunOutcome.Cancelled));
        Assert.Equal(RunStatus.Cancelled, ExpectEvent<ExecutionFinished>(subscriber, run.RunId).Status);
        Assert.Equal(RunStatus.Cancelled, Status("s1").Status);
    }

    [Fact]
    public void Should_request_cancellation_by_run_id()
    {
        var executor = CreateTestProbe();
        var run = Reserve("s1", executor.Ref);

        Assert.Equal(run.RunId, Ask<CancelRequested>(new Cancel("s1", run.RunId)).RunId);
        Assert.Equal(run.RunId, executor.ExpectMsg<CancelRun>().RunId);
    }

    [Fact]
    public void Should_be_idempotent_while_cancellation_is_pending()
    {
        var executor = CreateTestProbe();
        var run = Reserve("s1", executor.Ref);
        Ask<CancelRequested>(new Cancel("s1"));
        executor.ExpectMsg<CancelRun>();
        var subscriber = Subscriber("s1", afterSequence: Status("s1").LastSequence);

        Assert.Equal(run.RunId, Ask<CancelRequested>(new Cancel("s1")).RunId);

        executor.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        subscriber.ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void Should_reply_NothingToCancel_when_no_run_is_active()
    {
        Ask<NothingToCancel>(new Cancel("never-ran"));

        var run = Reserve("s1");
        Ask<Finalized>(new Finalize("s1", run.RunId, RunOutcome.Completed));
        Ask<NothingToCancel>(new Cancel("s1"));
        Ask<NothingToCancel>(new Cancel("s1", run.RunId));
        Assert.Equal(RunStatus.Completed, Status("s1").Status);
    }

    [Fact]
    public void Should_fence_a_cancel_for_a_stale_run_id()
    {
        var old = Reserve("s1");
        Ask<Finalized>(new Finalize("s1", old.RunId, RunOutcome.Completed));
        var current = Reserve("s1");

        var stale = Ask<StaleRun>(new Cancel("s1", old.RunId));

        Assert.Equal(new StaleRun("s1", old.RunId, current.RunId), stale);
        Assert.False(Status("s1").CancelRequested);
    }
}
