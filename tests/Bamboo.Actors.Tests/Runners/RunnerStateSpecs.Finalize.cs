using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Runners;

public sealed class RunnerStateFinalizeSpecs : RunnerStateSpec
{
    public static TheoryData<RunStatus, string?> Outcomes => new()
    {
        { RunStatus.Completed, null },
        { RunStatus.Cancelled, null },
        { RunStatus.Error, "boom" },
        { RunStatus.Error, "" },
    };

    [Theory]
    [MemberData(nameof(Outcomes))]
    public void Should_end_the_active_run_with_the_outcome_status(RunStatus status, string? error)
    {
        Start(T0, ExecA);

        var decision = State.Finalize("run-1", RunOutcome.Of(status, error), At(1));

        AssertDecision(decision, new Finalized(Session, "run-1", status, error),
            CancelTimers(),
            Unwatch(ExecA),
            Emitted(new ExecutionFinished(status, error), "run-1", 2, At(1)));
        Assert.Equal(Snapshot(s => s with
        {
            Status = status, RunId = "run-1", StartedAt = T0, CompletedAt = At(1), Error = error, LastEventAt = At(1),
            LastSequence = 2,
        }), State.Snapshot());
        Assert.Null(State.Executor);
        Assert.False(State.IsExecutor(ExecA));
        Assert.True(State.IsIdle);
    }

    [Fact]
    public void Should_end_a_run_without_executor_without_unwatching_anything()
    {
        Start(T0);

        var decision = State.Finalize("run-1", RunOutcome.Completed, At(1));

        AssertDecision(decision, new Finalized(Session, "run-1", RunStatus.Completed),
            CancelTimers(),
            Emitted(new ExecutionFinished(RunStatus.Completed), "run-1", 2, At(1)));
    }

    [Fact]
    public void Should_take_the_executors_outcome_even_after_cancellation_was_requested()
    {
        Start(T0);
        State.Cancel(null, null, At(1));

        var decision = State.Finalize("run-1", RunOutcome.Completed, At(2));

        Assert.Equal(new Finalized(Session, "run-1", RunStatus.Completed), decision.Reply);
        Assert.Equal(RunStatus.Completed, State.Status);
        Assert.True(State.CancelRequested);
    }

    [Fact]
    public void Should_reply_StaleRun_and_change_nothing_when_a_superseded_run_finalizes()
    {
        Start(T0, ExecA);
        Reserve(At(1), ConflictPolicy.Interrupt, ExecB);

        AssertChangesNothing(() => State.Finalize("run-1", RunOutcome.Completed, At(2)), new StaleRun(Session, "run-1", "run-2"));
        Assert.Equal(RunStatus.Running, State.Status);
    }

    [Fact]
    public void Should_reply_StaleRun_for_a_run_that_ended_before_the_queued_run_started()
    {
        var first = Start(T0);
        var queued = Enqueue(At(1));
        Finish(first, At(2));

        AssertChangesNothing(() => State.Finalize(first, RunOutcome.Failed("late"), At(3)), new StaleRun(Session, first, queued));
    }

    [Fact]
    public void Should_reply_StaleRun_for_an_unknown_run_id()
    {
        Start(T0);

        AssertChangesNothing(() => State.Finalize("no-such-run", RunOutcome.Completed, At(1)), new StaleRun(Session, "no-such-run", "run-1"));
    }

    [Fact]
    public void Should_reply_StaleRun_with_no_current_run_when_the_session_never_ran()
    {
        AssertChangesNothing(() => State.Finalize("run-1", RunOutcome.Completed, T0), new StaleRun(Session, "run-1", null));
    }

    [Fact]
    public void Should_reply_StaleRun_and_leave_the_queue_alone_when_a_queued_run_finalizes()
    {
        Start(T0);
        var queued = Enqueue(At(1), ExecB, Waiter);

        AssertChangesNothing(() => State.Finalize(queued, RunOutcome.Completed, At(2)), new StaleRun(Session, queued, "run-1"));
        Assert.Equal([queued], State.QueuedRunIds);
    }

    [Theory]
    [MemberData(nameof(Outcomes))]
    public void Should_reply_AlreadyFinalized_and_keep_the_first_status_when_the_current_run_finalizes_again(RunStatus status, string? error)
    {
        Start(T0);
        State.Finalize("run-1", RunOutcome.Of(status, error), At(1));

        AssertChangesNothing(() => State.Finalize("run-1", RunOutcome.Failed("second"), At(2)), new AlreadyFinalized(Session, "run-1", status));
        AssertChangesNothing(() => State.Finalize("run-1", RunOutcome.Completed, At(3)), new AlreadyFinalized(Session, "run-1", status));
    }

    [Fact]
    public void Should_start_the_next_queued_run_and_notify_its_reserver()
    {
        Start(T0, ExecA);
        Enqueue(At(1), ExecB, Waiter, TimeSpan.FromMinutes(2));

        var decision = State.Finalize("run-1", RunOutcome.Completed, At(2));

        // The dequeued run's executor has been watched since it was queued: no second Watch.
        AssertDecision(decision, new Finalized(Session, "run-1", RunStatus.Completed),
            CancelTimers(),
            Unwatch(ExecA),
            Emitted(new ExecutionFinished(RunStatus.Completed), "run-1", 3, At(2)),
            ScheduleDeadline("run-2", TimeSpan.FromMinutes(2)),
            Notify(Waiter, new Reserved(Session, "run-2", At(2))),
            Emitted(new ExecutionStarted(), "run-2", 4, At(2)));
        Assert.Equal(Snapshot(s => s with
        {
            Status = RunStatus.Running, RunId = "run-2", StartedAt = At(2), LastEventAt = At(2), LastSequence = 4,
            DeadlineAt = At(2) + TimeSpan.FromMinutes(2),
        }), State.Snapshot());
        Assert.Equal(ExecB, State.Executor);
        Assert.Empty(State.QueuedRunIds);
    }

    [Fact]
    public void Should_report_the_error_of_the_finalized_run_even_when_a_queued_run_starts()
    {
        Start(T0);
        Enqueue(At(1), reserver: Waiter);

        var decision = State.Finalize("run-1", RunOutcome.Failed("boom"), At(2));

        Assert.Equal(new Finalized(Session, "run-1", RunStatus.Error, "boom"), decision.Reply);
        Assert.Contains(Emitted(new ExecutionFinished(RunStatus.Error, "boom"), "run-1", 3, At(2)), decision.Effects);
        Assert.Null(State.Error);
        Assert.Equal("run-2", State.RunId);
    }

    [Fact]
    public void Should_keep_watching_an_executor_that_a_queued_run_still_uses()
    {
        var first = Reserve(T0, executor: ExecA);
        var queued = Reserve(At(1), ConflictPolicy.Enqueue, ExecA, Waiter);

        var decision = State.Finalize("run-1", RunOutcome.Completed, At(2));

        Assert.DoesNotContain(Unwatch(ExecA), decision.Effects);
        Assert.Equal([ExecA], Watched(first, queued, decision));
        Assert.Equal(ExecA, State.Executor);
    }

    [Fact]
    public void Should_start_queued_runs_one_at_a_time_in_fifo_order()
    {
        Start(T0);
        var second = Enqueue(At(1), reserver: Waiter);
        var third = Enqueue(At(2), reserver: Waiter2);

        var first = State.Finalize("run-1", RunOutcome.Completed, At(3));

        Assert.Contains(Notify(Waiter, new Reserved(Session, second, At(3))), first.Effects);
        Assert.DoesNotContain(first.Effects, e => e is Bamboo.Actors.Runners.RunnerEffect<string>.Notify { Target: Waiter2 });
        Assert.Equal([third], State.QueuedRunIds);

        var next = State.Finalize(second, RunOutcome.Cancelled, At(4));

        Assert.Equal(new Finalized(Session, second, RunStatus.Cancelled), next.Reply);
        Assert.Contains(Notify(Waiter2, new Reserved(Session, third, At(4))), next.Effects);
        Assert.Equal(third, State.RunId);
        Assert.Empty(State.QueuedRunIds);
    }
}
