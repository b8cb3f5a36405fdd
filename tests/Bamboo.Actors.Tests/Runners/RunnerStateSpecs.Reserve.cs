using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Runners;

public sealed class RunnerStateReserveSpecs : RunnerStateSpec
{
    public static TheoryData<ConflictPolicy> Policies => new() { ConflictPolicy.Reject, ConflictPolicy.Interrupt, ConflictPolicy.Enqueue };

    public static TheoryData<RunStatus, ConflictPolicy> TerminalStatusesAndPolicies()
    {
        var data = new TheoryData<RunStatus, ConflictPolicy>();
        foreach (var status in new[] { RunStatus.Completed, RunStatus.Cancelled, RunStatus.Error })
        foreach (var policy in new[] { ConflictPolicy.Reject, ConflictPolicy.Interrupt, ConflictPolicy.Enqueue })
            data.Add(status, policy);
        return data;
    }

    [Theory]
    [MemberData(nameof(Policies))]
    public void Should_start_a_run_with_a_fresh_run_id_when_session_is_pending(ConflictPolicy policy)
    {
        var decision = Reserve(T0, policy, reserver: Waiter);

        // The sender gets the reply; the reserver is only notified for runs that start later from the queue.
        AssertDecision(decision, new Reserved(Session, "run-1", T0),
            ScheduleDeadline("run-1", DefaultDeadline),
            Emitted(new ExecutionStarted(), "run-1", 1, T0));
        Assert.Equal(Snapshot(s => s with
        {
            Status = RunStatus.Running, RunId = "run-1", StartedAt = T0, LastEventAt = T0, LastSequence = 1,
            DeadlineAt = T0 + DefaultDeadline,
        }), State.Snapshot());
        Assert.False(State.IsIdle);
    }

    [Fact]
    public void Should_watch_the_executor_and_schedule_the_requested_deadline()
    {
        var deadline = TimeSpan.FromMinutes(5);

        var decision = Reserve(T0, executor: ExecA, deadline: deadline);

        AssertDecision(decision, new Reserved(Session, "run-1", T0),
            Watch(ExecA),
            ScheduleDeadline("run-1", deadline),
            Emitted(new ExecutionStarted(), "run-1", 1, T0));
        Assert.Equal(T0 + deadline, State.Snapshot().DeadlineAt);
        Assert.Equal(ExecA, State.Executor);
        Assert.True(State.IsExecutor(ExecA));
    }

    [Fact]
    public void Should_reply_AlreadyRunning_when_session_has_active_run()
    {
        Start(T0, ExecA);

        AssertChangesNothing(() => Reserve(At(1), ConflictPolicy.Reject, ExecB, Waiter), new AlreadyRunning(Session, "run-1"));
    }

    [Fact]
    public void Should_reply_AlreadyRunning_while_cancellation_of_the_active_run_is_pending()
    {
        Start(T0);
        State.Cancel(null, null, At(1));

        AssertChangesNothing(() => Reserve(At(2)), new AlreadyRunning(Session, "run-1"));
    }

    [Theory]
    [MemberData(nameof(TerminalStatusesAndPolicies))]
    public void Should_start_a_new_run_with_a_new_run_id_after_a_terminal_status(RunStatus ended, ConflictPolicy policy)
    {
        EndFirstRunWith(ended, T0, At(1), ExecA);

        var decision = Reserve(At(2), policy, ExecB);

        AssertDecision(decision, new Reserved(Session, "run-2", At(2)),
            Watch(ExecB),
            ScheduleDeadline("run-2", DefaultDeadline),
            Emitted(new ExecutionStarted(), "run-2", 3, At(2)));
        Assert.Equal(Snapshot(s => s with
        {
            Status = RunStatus.Running, RunId = "run-2", StartedAt = At(2), LastEventAt = At(2), LastSequence = 3,
            DeadlineAt = At(2) + DefaultDeadline,
        }), State.Snapshot());
    }

    [Fact]
    public void Should_reset_the_previous_runs_diagnostics_when_a_new_run_starts()
    {
        var first = Start(T0);
        State.Publish(first, new ToolLifecycle("search", ToolPhase.Error), false, At(1));
        State.Publish(first, new RunnerProgress(7), false, At(2));
        State.Publish(first, new TokenBudget(10, 100), false, At(3));
        State.Cancel(null, null, At(4));
        Finish(first, At(5), RunOutcome.Failed("boom"));

        Start(At(6));

        var snapshot = State.Snapshot();
        Assert.Null(snapshot.Error);
        Assert.Null(snapshot.CompletedAt);
        Assert.False(snapshot.CancelRequested);
        Assert.Equal(0, snapshot.RoundCount);
        Assert.Null(snapshot.LastToolName);
        Assert.Null(snapshot.LastToolPhase);
        Assert.Null(State.LastBudget);
        Assert.Equal(At(6), snapshot.StartedAt);
    }

    [Fact]
    public void Should_cancel_the_active_run_at_once_signal_its_executor_and_start_the_new_run_when_interrupting()
    {
        Start(T0, ExecA);

        var decision = Reserve(At(1), ConflictPolicy.Interrupt, ExecB, Waiter, TimeSpan.FromMinutes(1));

        AssertDecision(decision, new Reserved(Session, "run-2", At(1)),
            Emitted(new RunCancelling("interrupted"), "run-1", 2, At(1)),
            Signal(ExecA, "run-1", "interrupted"),
            CancelTimers(),
            Unwatch(ExecA),
            Emitted(new ExecutionFinished(RunStatus.Cancelled), "run-1", 3, At(1)),
            Watch(ExecB),
            ScheduleDeadline("run-2", TimeSpan.FromMinutes(1)),
            Emitted(new ExecutionStarted(), "run-2", 4, At(1)));
        Assert.Equal(Snapshot(s => s with
        {
            Status = RunStatus.Running, RunId = "run-2", StartedAt = At(1), LastEventAt = At(1), LastSequence = 4,
            DeadlineAt = At(1) + TimeSpan.FromMinutes(1),
        }), State.Snapshot());
        Assert.False(State.IsExecutor(ExecA));
    }

    [Fact]
    public void Should_not_signal_twice_when_interrupting_a_run_whose_cancellation_was_already_requested()
    {
        Start(T0, ExecA);
        State.Cancel(null, "user", At(1));

        var decision = Reserve(At(2), ConflictPolicy.Interrupt);

        AssertDecision(decision, new Reserved(Session, "run-2", At(2)),
            CancelTimers(),
            Unwatch(ExecA),
            Emitted(new ExecutionFinished(RunStatus.Cancelled), "run-1", 3, At(2)),
            ScheduleDeadline("run-2", DefaultDeadline),
            Emitted(new ExecutionStarted(), "run-2", 4, At(2)));
    }

    [Fact]
    public void Should_keep_watching_an_executor_shared_by_the_interrupted_and_the_interrupting_run()
    {
        var first = Reserve(T0, executor: ExecA);

        var second = Reserve(At(1), ConflictPolicy.Interrupt, ExecA);

        Assert.Equal(new Reserved(Session, "run-2", At(1)), second.Reply);
        Assert.Contains(Signal(ExecA, "run-1", "interrupted"), second.Effects);
        Assert.Equal([ExecA], Watched(first, second));
        Assert.True(State.IsExecutor(ExecA));
    }

    [Fact]
    public void Should_let_queued_runs_follow_the_interrupting_run()
    {
        Start(T0);
        var queued = Enqueue(At(1), reserver: Waiter);

        var interrupting = Assert.IsType<Reserved>(Reserve(At(2), ConflictPolicy.Interrupt).Reply).RunId;

        Assert.Equal([queued], State.QueuedRunIds);
        Assert.Equal(interrupting, State.RunId);
        var next = State.Finalize(interrupting, RunOutcome.Completed, At(3));
        Assert.Contains(Notify(Waiter, new Reserved(Session, queued, At(3))), next.Effects);
        Assert.Equal(queued, State.RunId);
    }

    [Fact]
    public void Should_queue_a_run_behind_the_active_one_and_watch_its_executor()
    {
        Start(T0, ExecA);

        var decision = Reserve(At(1), ConflictPolicy.Enqueue, ExecB, Waiter);

        AssertDecision(decision, new Queued(Session, "run-2", 1),
            Watch(ExecB),
            Emitted(new RunQueued(1), "run-2", 2, At(1)));
        Assert.Equal(Snapshot(s => s with
        {
            Status = RunStatus.Running, RunId = "run-1", StartedAt = T0, LastEventAt = At(1), LastSequence = 2,
            DeadlineAt = T0 + DefaultDeadline, QueueLength = 1,
        }), State.Snapshot());
        Assert.Equal(["run-2"], State.QueuedRunIds);
        Assert.True(State.IsExecutor(ExecB));
        Assert.Equal(ExecA, State.Executor);
    }

    [Fact]
    public void Should_give_queued_runs_their_one_based_positions_in_fifo_order()
    {
        Start(T0);

        var first = Reserve(At(1), ConflictPolicy.Enqueue);
        var second = Reserve(At(2), ConflictPolicy.Enqueue);

        AssertDecision(first, new Queued(Session, "run-2", 1), Emitted(new RunQueued(1), "run-2", 2, At(1)));
        AssertDecision(second, new Queued(Session, "run-3", 2), Emitted(new RunQueued(2), "run-3", 3, At(2)));
        Assert.Equal(["run-2", "run-3"], State.QueuedRunIds);
    }

    [Theory]
    [InlineData(ExecA)]
    [InlineData(ExecB)]
    public void Should_not_watch_again_an_executor_that_is_already_referenced(string executor)
    {
        Start(T0, ExecA);
        Enqueue(At(1), ExecB);

        var decision = Reserve(At(2), ConflictPolicy.Enqueue, executor);

        AssertDecision(decision, new Queued(Session, "run-3", 2), Emitted(new RunQueued(2), "run-3", 3, At(2)));
    }
}

public sealed class RunnerStateQueueBoundSpecs() : RunnerStateSpec(RunnerSettings.Default with { MaxQueueLength = 2 })
{
    [Fact]
    public void Should_reject_with_queue_full_and_change_nothing_when_the_queue_is_at_its_bound()
    {
        Start(T0, ExecA);
        Enqueue(At(1));
        Enqueue(At(2));

        AssertChangesNothing(() => Reserve(At(3), ConflictPolicy.Enqueue, ExecC, Waiter), new Rejected(Session, "queue_full"));
        Assert.Equal(3, RunIdsIssued);
        Assert.Equal(2, State.QueueLength);
    }

    [Fact]
    public void Should_accept_a_queued_run_again_once_the_queue_has_room()
    {
        var active = Start(T0);
        Enqueue(At(1));
        Enqueue(At(2));
        Assert.IsType<Rejected>(Reserve(At(3), ConflictPolicy.Enqueue).Reply);

        Finish(active, At(4));

        Assert.Equal(new Queued(Session, "run-4", 2), Reserve(At(5), ConflictPolicy.Enqueue).Reply);
    }
}

public sealed class RunnerStateQueueDisabledSpecs() : RunnerStateSpec(RunnerSettings.Default with { MaxQueueLength = 0 })
{
    [Fact]
    public void Should_reject_every_enqueue_when_queueing_is_disabled()
    {
        Start(T0);

        AssertChangesNothing(() => Reserve(At(1), ConflictPolicy.Enqueue, ExecB, Waiter), new Rejected(Session, "queue_full"));
    }
}

public sealed class RunnerStateConstructionSpecs
{
    [Fact]
    public void Should_issue_uuid_v4_run_ids_by_default()
    {
        var state = new RunnerState<string>("s1");

        var first = Assert.IsType<Reserved>(state.Reserve(ConflictPolicy.Reject, null, null, null, DateTimeOffset.UnixEpoch).Reply);
        var second = Assert.IsType<Reserved>(state.Reserve(ConflictPolicy.Interrupt, null, null, null, DateTimeOffset.UnixEpoch).Reply);

        Assert.NotEqual(first.RunId, second.RunId);
        foreach (var runId in new[] { first.RunId, second.RunId })
        {
            Assert.True(Guid.TryParseExact(runId, "D", out var guid), runId);
            Assert.Equal(4, guid.Version);
        }
    }

    [Fact]
    public void Should_refuse_a_null_session_id()
    {
        Assert.Throws<ArgumentNullException>(() => new RunnerState<string>(null!));
    }

    [Fact]
    public void Should_refuse_settings_out_of_range()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RunnerState<string>("s1", RunnerSettings.Default with { EventRetention = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RunnerState<string>("s1", RunnerSettings.Default with { MaxQueueLength = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RunnerState<string>("s1", RunnerSettings.Default with { DefaultDeadline = TimeSpan.Zero }));
    }

    [Fact]
    public void Should_start_pending_and_idle()
    {
        var state = new RunnerState<string>("s1");

        Assert.Equal(RunStatus.Pending, state.Status);
        Assert.Null(state.RunId);
        Assert.True(state.IsIdle);
        Assert.Equal(0, state.LastSequence);
        Assert.Empty(state.QueuedRunIds);
        Assert.False(state.IsExecutor("anyone"));
    }
}
