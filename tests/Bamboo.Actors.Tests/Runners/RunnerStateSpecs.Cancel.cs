using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Runners;

public sealed class RunnerStateCancelSpecs : RunnerStateSpec
{
    [Fact]
    public void Should_reply_NothingToCancel_when_the_session_never_ran()
    {
        AssertChangesNothing(() => State.Cancel(null, null, T0), new NothingToCancel(Session));
    }

    [Fact]
    public void Should_reply_StaleRun_for_a_run_id_when_the_session_never_ran()
    {
        AssertChangesNothing(() => State.Cancel("run-1", null, T0), new StaleRun(Session, "run-1", null));
    }

    [Theory]
    [InlineData(null, null, "cancelled")]
    [InlineData(null, "user pressed stop", "user pressed stop")]
    [InlineData("run-1", null, "cancelled")]
    [InlineData("run-1", "user pressed stop", "user pressed stop")]
    public void Should_request_cancellation_of_the_active_run_and_signal_its_executor(string? runId, string? reason, string expectedReason)
    {
        Start(T0, ExecA);

        var decision = State.Cancel(runId, reason, At(1));

        AssertDecision(decision, new CancelRequested(Session, "run-1"),
            Emitted(new RunCancelling(expectedReason), "run-1", 2, At(1)),
            Signal(ExecA, "run-1", expectedReason));
        Assert.Equal(Snapshot(s => s with
        {
            Status = RunStatus.Running, RunId = "run-1", StartedAt = T0, LastEventAt = At(1), LastSequence = 2,
            CancelRequested = true, DeadlineAt = T0 + DefaultDeadline,
        }), State.Snapshot());
    }

    [Fact]
    public void Should_only_publish_RunCancelling_when_the_active_run_has_no_executor()
    {
        Start(T0);

        var decision = State.Cancel(null, null, At(1));

        AssertDecision(decision, new CancelRequested(Session, "run-1"), Emitted(new RunCancelling("cancelled"), "run-1", 2, At(1)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("run-1")]
    public void Should_be_idempotent_when_cancellation_was_already_requested(string? runId)
    {
        Start(T0, ExecA);
        State.Cancel(null, "first", At(1));

        AssertChangesNothing(() => State.Cancel(runId, "second", At(2)), new CancelRequested(Session, "run-1"));
        Assert.True(State.CancelRequested);
    }

    [Fact]
    public void Should_remove_a_queued_run_at_once_and_tell_its_reserver()
    {
        Start(T0, ExecA);
        var queued = Enqueue(At(1), ExecB, Waiter);
        var next = Enqueue(At(2), ExecC, Waiter2);

        var decision = State.Cancel(queued, "not needed", At(3));

        // A queued run never started, so it is withdrawn with the fixed reason "cancelled".
        AssertDecision(decision, new CancelRequested(Session, queued),
            Unwatch(ExecB),
            Notify(Waiter, new Rejected(Session, "cancelled", queued)),
            Emitted(new ExecutionFinished(RunStatus.Cancelled), queued, 4, At(3)));
        Assert.Equal([next], State.QueuedRunIds);
        Assert.Equal("run-1", State.RunId);
        Assert.False(State.CancelRequested);
        Assert.False(State.IsExecutor(ExecB));
        Assert.Equal(RunStatus.Running, State.Status);
    }

    [Fact]
    public void Should_not_unwatch_the_executor_of_a_cancelled_queued_run_that_the_active_run_uses()
    {
        Start(T0, ExecA);
        var queued = Enqueue(At(1), ExecA);

        var decision = State.Cancel(queued, null, At(2));

        AssertDecision(decision, new CancelRequested(Session, queued),
            Emitted(new ExecutionFinished(RunStatus.Cancelled), queued, 3, At(2)));
        Assert.True(State.IsExecutor(ExecA));
    }

    [Fact]
    public void Should_reply_StaleRun_and_change_nothing_for_a_superseded_run()
    {
        Start(T0, ExecA);
        Reserve(At(1), ConflictPolicy.Interrupt, ExecB);

        AssertChangesNothing(() => State.Cancel("run-1", null, At(2)), new StaleRun(Session, "run-1", "run-2"));
        Assert.False(State.CancelRequested);
    }

    [Fact]
    public void Should_reply_StaleRun_for_an_unknown_run_id()
    {
        Start(T0);

        AssertChangesNothing(() => State.Cancel("no-such-run", null, At(1)), new StaleRun(Session, "no-such-run", "run-1"));
    }

    [Fact]
    public void Should_reply_StaleRun_for_a_queued_run_that_was_already_withdrawn()
    {
        Start(T0);
        var queued = Enqueue(At(1), reserver: Waiter);
        State.Cancel(queued, null, At(2));

        AssertChangesNothing(() => State.Cancel(queued, null, At(3)), new StaleRun(Session, queued, "run-1"));
    }

    [Theory]
    [InlineData(RunStatus.Completed)]
    [InlineData(RunStatus.Cancelled)]
    [InlineData(RunStatus.Error)]
    public void Should_reply_NothingToCancel_when_the_last_run_is_terminal(RunStatus status)
    {
        var runId = EndFirstRunWith(status, T0, At(1), ExecA);

        AssertChangesNothing(() => State.Cancel(null, null, At(2)), new NothingToCancel(Session));
        AssertChangesNothing(() => State.Cancel(runId, null, At(2)), new NothingToCancel(Session));
    }

    [Fact]
    public void Should_let_the_run_stay_running_until_its_executor_finalizes_it_as_cancelled()
    {
        Start(T0, ExecA);
        State.Cancel(null, null, At(1));

        Assert.Equal(RunStatus.Running, State.Status);
        var decision = State.Finalize("run-1", RunOutcome.Cancelled, At(2));

        AssertDecision(decision, new Finalized(Session, "run-1", RunStatus.Cancelled),
            CancelTimers(),
            Unwatch(ExecA),
            Emitted(new ExecutionFinished(RunStatus.Cancelled), "run-1", 3, At(2)));
    }
}
