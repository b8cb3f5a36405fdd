using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Runners;

public sealed class RunnerStateExecutorTerminatedSpecs : RunnerStateSpec
{
    private const string Lost = "executor lost";

    [Fact]
    public void Should_end_the_active_run_as_executor_lost_when_its_executor_terminates()
    {
        Start(T0, ExecA);

        var decision = State.Terminated(ExecA, At(1));

        AssertDecision(decision, null,
            CancelTimers(),
            Unwatch(ExecA),
            Emitted(new ExecutionFinished(RunStatus.Error, Lost), "run-1", 2, At(1)));
        Assert.Equal(Snapshot(s => s with
        {
            Status = RunStatus.Error, RunId = "run-1", StartedAt = T0, CompletedAt = At(1), Error = Lost,
            LastEventAt = At(1), LastSequence = 2,
        }), State.Snapshot());
        Assert.True(State.IsIdle);
    }

    [Fact]
    public void Should_end_the_active_run_even_when_its_cancellation_was_already_requested()
    {
        Start(T0, ExecA);
        State.Cancel(null, null, At(1));

        State.Terminated(ExecA, At(2));

        Assert.Equal(RunStatus.Error, State.Status);
        Assert.Equal(Lost, State.Error);
    }

    [Fact]
    public void Should_start_the_next_queued_run_when_the_active_runs_executor_terminates()
    {
        Start(T0, ExecA);
        Enqueue(At(1), ExecB, Waiter);

        var decision = State.Terminated(ExecA, At(2));

        AssertDecision(decision, null,
            CancelTimers(),
            Unwatch(ExecA),
            Emitted(new ExecutionFinished(RunStatus.Error, Lost), "run-1", 3, At(2)),
            ScheduleDeadline("run-2", DefaultDeadline),
            Notify(Waiter, new Reserved(Session, "run-2", At(2))),
            Emitted(new ExecutionStarted(), "run-2", 4, At(2)));
        Assert.Equal("run-2", State.RunId);
        Assert.Equal(RunStatus.Running, State.Status);
    }

    [Fact]
    public void Should_withdraw_a_queued_run_whose_executor_terminates_and_leave_the_active_run_alone()
    {
        Start(T0, ExecA);
        var queued = Enqueue(At(1), ExecB, Waiter);

        var decision = State.Terminated(ExecB, At(2));

        AssertDecision(decision, null,
            Unwatch(ExecB),
            Notify(Waiter, new Rejected(Session, Lost, queued)),
            Emitted(new ExecutionFinished(RunStatus.Error, Lost), queued, 3, At(2)));
        Assert.Empty(State.QueuedRunIds);
        Assert.Equal(("run-1", RunStatus.Running), (State.RunId, State.Status));
        Assert.Equal(ExecA, State.Executor);
    }

    [Fact]
    public void Should_change_nothing_when_an_unrelated_executor_terminates()
    {
        Start(T0, ExecA);
        Enqueue(At(1), ExecB, Waiter);

        AssertChangesNothing(() => State.Terminated(ExecC, At(2)), null);
    }

    [Fact]
    public void Should_change_nothing_when_the_executor_of_a_finished_run_terminates()
    {
        var first = Start(T0, ExecA);
        Finish(first, At(1));
        Start(At(2), ExecB);

        AssertChangesNothing(() => State.Terminated(ExecA, At(3)), null);
    }

    [Fact]
    public void Should_change_nothing_when_the_executor_of_an_interrupted_run_terminates()
    {
        Start(T0, ExecA);
        Reserve(At(1), ConflictPolicy.Interrupt, ExecB);

        AssertChangesNothing(() => State.Terminated(ExecA, At(2)), null);
    }

    [Fact]
    public void Should_change_nothing_when_the_session_never_ran()
    {
        AssertChangesNothing(() => State.Terminated(ExecA, T0), null);
    }

    [Fact]
    public void Should_end_every_run_of_an_executor_shared_by_the_active_and_queued_runs()
    {
        Start(T0, ExecA);
        Enqueue(At(1), ExecA, Waiter);
        Enqueue(At(2), ExecC, Waiter3);
        Enqueue(At(3), ExecA, Waiter2);

        var decision = State.Terminated(ExecA, At(4));

        // Queued runs of the dead executor are withdrawn (newest first) while the active run still holds the watch;
        // the active run ends last and the surviving queued run starts.
        AssertDecision(decision, null,
            Notify(Waiter2, new Rejected(Session, Lost, "run-4")),
            Emitted(new ExecutionFinished(RunStatus.Error, Lost), "run-4", 5, At(4)),
            Notify(Waiter, new Rejected(Session, Lost, "run-2")),
            Emitted(new ExecutionFinished(RunStatus.Error, Lost), "run-2", 6, At(4)),
            CancelTimers(),
            Unwatch(ExecA),
            Emitted(new ExecutionFinished(RunStatus.Error, Lost), "run-1", 7, At(4)),
            ScheduleDeadline("run-3", DefaultDeadline),
            Notify(Waiter3, new Reserved(Session, "run-3", At(4))),
            Emitted(new ExecutionStarted(), "run-3", 8, At(4)));
        Assert.Equal(("run-3", RunStatus.Running, ExecC), (State.RunId, State.Status, State.Executor));
        Assert.Empty(State.QueuedRunIds);
        Assert.False(State.IsExecutor(ExecA));
    }

    [Fact]
    public void Should_leave_the_session_idle_when_the_executor_of_the_active_and_every_queued_run_terminates()
    {
        Start(T0, ExecA);
        Enqueue(At(1), ExecA, Waiter);

        var decision = State.Terminated(ExecA, At(2));

        AssertDecision(decision, null,
            Notify(Waiter, new Rejected(Session, Lost, "run-2")),
            Emitted(new ExecutionFinished(RunStatus.Error, Lost), "run-2", 3, At(2)),
            CancelTimers(),
            Unwatch(ExecA),
            Emitted(new ExecutionFinished(RunStatus.Error, Lost), "run-1", 4, At(2)));
        Assert.True(State.IsIdle);
        Assert.Equal(RunStatus.Error, State.Status);
    }
}

public sealed class RunnerStateDeadlineSpecs : RunnerStateSpec
{
    private const string Exceeded = "deadline exceeded";

    [Fact]
    public void Should_request_cancellation_signal_the_executor_and_schedule_the_grace_when_the_deadline_passes()
    {
        Start(T0, ExecA);

        var decision = State.DeadlinePassed("run-1", At(60));

        AssertDecision(decision, null,
            Emitted(new RunCancelling(Exceeded), "run-1", 2, At(60)),
            Signal(ExecA, "run-1", Exceeded),
            ScheduleGrace("run-1", DefaultGrace));
        Assert.True(State.CancelRequested);
        Assert.Equal(RunStatus.Running, State.Status);
    }

    [Fact]
    public void Should_only_schedule_the_grace_when_cancellation_was_already_requested()
    {
        Start(T0, ExecA);
        State.Cancel(null, null, At(1));

        var decision = State.DeadlinePassed("run-1", At(60));

        AssertDecision(decision, null, ScheduleGrace("run-1", DefaultGrace));
    }

    [Fact]
    public void Should_ignore_the_deadline_of_a_superseded_run()
    {
        Start(T0, ExecA);
        Reserve(At(1), ConflictPolicy.Interrupt, ExecB);

        AssertChangesNothing(() => State.DeadlinePassed("run-1", At(60)), null);
    }

    [Fact]
    public void Should_ignore_the_deadline_of_a_run_that_already_ended()
    {
        var runId = EndFirstRunWith(RunStatus.Completed, T0, At(1), ExecA);

        AssertChangesNothing(() => State.DeadlinePassed(runId, At(60)), null);
    }

    [Fact]
    public void Should_ignore_a_deadline_when_the_session_never_ran()
    {
        AssertChangesNothing(() => State.DeadlinePassed("run-1", T0), null);
    }

    [Fact]
    public void Should_ignore_the_deadline_of_a_queued_run()
    {
        Start(T0);
        var queued = Enqueue(At(1));

        AssertChangesNothing(() => State.DeadlinePassed(queued, At(60)), null);
    }

    [Fact]
    public void Should_end_the_run_as_deadline_exceeded_when_the_grace_expires()
    {
        Start(T0, ExecA);
        State.DeadlinePassed("run-1", At(60));

        var decision = State.GraceExpired("run-1", At(65));

        AssertDecision(decision, null,
            CancelTimers(),
            Unwatch(ExecA),
            Emitted(new ExecutionFinished(RunStatus.Error, Exceeded), "run-1", 3, At(65)));
        Assert.Equal(Snapshot(s => s with
        {
            Status = RunStatus.Error, RunId = "run-1", StartedAt = T0, CompletedAt = At(65), Error = Exceeded,
            LastEventAt = At(65), LastSequence = 3, CancelRequested = true,
        }), State.Snapshot());
    }

    [Fact]
    public void Should_start_the_next_queued_run_when_the_grace_expires()
    {
        Start(T0);
        Enqueue(At(1), reserver: Waiter);
        State.DeadlinePassed("run-1", At(60));

        var decision = State.GraceExpired("run-1", At(65));

        Assert.Contains(Notify(Waiter, new Reserved(Session, "run-2", At(65))), decision.Effects);
        Assert.Equal(("run-2", RunStatus.Running), (State.RunId, State.Status));
        Assert.False(State.CancelRequested);
    }

    [Fact]
    public void Should_ignore_the_grace_of_a_run_that_finalized_within_it()
    {
        Start(T0, ExecA);
        State.DeadlinePassed("run-1", At(60));
        Finish("run-1", At(61), RunOutcome.Cancelled);

        AssertChangesNothing(() => State.GraceExpired("run-1", At(65)), null);
        Assert.Equal(RunStatus.Cancelled, State.Status);
    }

    [Fact]
    public void Should_ignore_the_grace_of_a_superseded_run()
    {
        Start(T0);
        State.DeadlinePassed("run-1", At(60));
        Reserve(At(61), ConflictPolicy.Interrupt);

        AssertChangesNothing(() => State.GraceExpired("run-1", At(65)), null);
    }

    [Fact]
    public void Should_ignore_a_grace_when_the_session_never_ran()
    {
        AssertChangesNothing(() => State.GraceExpired("run-1", T0), null);
    }
}

public sealed class RunnerStateCustomGraceSpecs()
    : RunnerStateSpec(RunnerSettings.Default with { DeadlineGrace = TimeSpan.FromMilliseconds(300), DefaultDeadline = TimeSpan.FromSeconds(30) })
{
    [Fact]
    public void Should_use_the_configured_default_deadline_and_grace()
    {
        var reserve = Reserve(T0);
        var deadline = State.DeadlinePassed("run-1", At(30));

        Assert.Contains(ScheduleDeadline("run-1", TimeSpan.FromSeconds(30)), reserve.Effects);
        Assert.Equal(T0.AddSeconds(30), State.Snapshot().DeadlineAt);
        Assert.Contains(ScheduleGrace("run-1", TimeSpan.FromMilliseconds(300)), deadline.Effects);
    }
}

public sealed class RunnerStateAbandonSpecs : RunnerStateSpec
{
    [Fact]
    public void Should_end_the_active_run_signal_its_executor_and_withdraw_queued_runs()
    {
        Start(T0, ExecA);
        Enqueue(At(1), ExecB, Waiter);
        Enqueue(At(2), ExecC, Waiter2);

        var decision = State.Abandon("session stopped", At(3));

        AssertDecision(decision, null,
            Unwatch(ExecC),
            Notify(Waiter2, new Rejected(Session, "session stopped", "run-3")),
            Emitted(new ExecutionFinished(RunStatus.Error, "session stopped"), "run-3", 4, At(3)),
            Unwatch(ExecB),
            Notify(Waiter, new Rejected(Session, "session stopped", "run-2")),
            Emitted(new ExecutionFinished(RunStatus.Error, "session stopped"), "run-2", 5, At(3)),
            Signal(ExecA, "run-1", "session stopped"),
            CancelTimers(),
            Unwatch(ExecA),
            Emitted(new ExecutionFinished(RunStatus.Error, "session stopped"), "run-1", 6, At(3)));
        Assert.Equal(Snapshot(s => s with
        {
            Status = RunStatus.Error, RunId = "run-1", StartedAt = T0, CompletedAt = At(3), Error = "session stopped",
            LastEventAt = At(3), LastSequence = 6,
        }), State.Snapshot());
        Assert.True(State.IsIdle);
    }

    [Fact]
    public void Should_end_a_run_without_executor_without_signalling()
    {
        Start(T0);

        var decision = State.Abandon("runner failed: boom", At(1));

        AssertDecision(decision, null,
            CancelTimers(),
            Emitted(new ExecutionFinished(RunStatus.Error, "runner failed: boom"), "run-1", 2, At(1)));
    }

    [Fact]
    public void Should_change_nothing_when_the_session_never_ran()
    {
        AssertChangesNothing(() => State.Abandon("session stopped", T0), null);
    }

    [Theory]
    [InlineData(RunStatus.Completed)]
    [InlineData(RunStatus.Cancelled)]
    [InlineData(RunStatus.Error)]
    public void Should_change_nothing_when_the_last_run_already_ended(RunStatus status)
    {
        EndFirstRunWith(status, T0, At(1), ExecA);

        AssertChangesNothing(() => State.Abandon("session stopped", At(2)), null);
    }
}
