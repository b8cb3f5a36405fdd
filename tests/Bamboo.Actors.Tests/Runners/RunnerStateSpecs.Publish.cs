using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Runners;

public sealed class RunnerStatePublishSpecs : RunnerStateSpec
{
    public static TheoryData<AgentEvent, string> LifecycleEvents => new()
    {
        { new ExecutionStarted(), "execution_started" },
        { new RunQueued(1), "run_queued" },
        { new RunCancelling("x"), "run_cancelling" },
        { new ExecutionFinished(RunStatus.Completed), "execution_finished" },
        { new ReplayGap(1, 2), "replay_gap" },
    };

    public static TheoryData<AgentEvent?, string> InvalidEvents => new()
    {
        { null, "event is required" },
        { new TokenDelta(null!), "token_delta needs text" },
        { new ToolStarted(""), "tool_started needs toolName" },
        { new ToolStarted(null!), "tool_started needs toolName" },
        { new ToolLifecycle("", ToolPhase.Begin), "tool_lifecycle needs toolName" },
        { new ToolLifecycle("search", (ToolPhase)7), "unknown tool phase 7" },
        { new RunnerProgress(-1), "roundCount must not be negative" },
        { new TokenBudget(-1, 10), "token budget values must not be negative" },
        { new TokenBudget(1, -10), "token budget values must not be negative" },
    };

    [Fact]
    public void Should_stamp_and_emit_a_progress_event_of_the_active_run_without_replying()
    {
        Start(T0);

        var decision = State.Publish("run-1", new TokenDelta("hello"), acknowledge: false, At(1));

        AssertDecision(decision, null, Emitted(new TokenDelta("hello"), "run-1", 2, At(1)), FlushLater());
        Assert.Equal(2, State.LastSequence);
        Assert.Equal(At(1), State.Snapshot().LastEventAt);
    }

    [Fact]
    public void Should_overwrite_whatever_stamp_the_publisher_put_on_the_event()
    {
        Start(T0);
        var forged = new TokenDelta("x") { SessionId = "other", RunId = "run-99", Sequence = 42, Timestamp = At(-100) };

        var decision = State.Publish("run-1", forged, acknowledge: false, At(1));

        AssertDecision(decision, null, Emitted(new TokenDelta("x"), "run-1", 2, At(1)), FlushLater());
    }

    [Fact]
    public void Should_acknowledge_with_the_sequence_and_whether_cancellation_was_requested()
    {
        Start(T0);

        var first = State.Publish("run-1", new TokenDelta("a"), acknowledge: true, At(1));
        State.Cancel(null, null, At(2));
        var second = State.Publish("run-1", new TokenDelta("b"), acknowledge: true, At(3));

        AssertDecision(first, new Published(Session, "run-1", 2, false), Emitted(new TokenDelta("a"), "run-1", 2, At(1)), FlushLater());
        AssertDecision(second, new Published(Session, "run-1", 4, true), Emitted(new TokenDelta("b"), "run-1", 4, At(3)), FlushLater());
    }

    [Fact]
    public void Should_track_the_last_tool_round_count_and_budget()
    {
        Start(T0);

        State.Publish("run-1", new ToolStarted("search"), false, At(1));
        Assert.Equal(("search", (ToolPhase?)ToolPhase.Begin), (State.LastToolName, State.LastToolPhase));

        State.Publish("run-1", new ToolLifecycle("search", ToolPhase.Finished), false, At(2));
        Assert.Equal(("search", (ToolPhase?)ToolPhase.Finished), (State.LastToolName, State.LastToolPhase));

        State.Publish("run-1", new ToolLifecycle("fetch", ToolPhase.Error), false, At(3));
        State.Publish("run-1", new RunnerProgress(3), false, At(4));
        State.Publish("run-1", new TokenBudget(120, 1000), false, At(5));
        State.Publish("run-1", new TokenDelta("not a tool"), false, At(6));

        Assert.Equal(Snapshot(s => s with
        {
            Status = RunStatus.Running, RunId = "run-1", StartedAt = T0, LastEventAt = At(6), LastSequence = 7,
            RoundCount = 3, LastToolName = "fetch", LastToolPhase = ToolPhase.Error, DeadlineAt = T0 + DefaultDeadline,
        }), State.Snapshot());
        Assert.Equal(Stamped(new TokenBudget(120, 1000), "run-1", 6, At(5)), State.LastBudget);
    }

    [Fact]
    public void Should_reply_StaleRun_and_change_nothing_for_a_superseded_run()
    {
        Start(T0);
        Reserve(At(1), ConflictPolicy.Interrupt);

        AssertChangesNothing(() => State.Publish("run-1", new ToolStarted("late"), false, At(2)), new StaleRun(Session, "run-1", "run-2"));
        AssertChangesNothing(() => State.Publish("run-1", new TokenDelta("late"), true, At(2)), new StaleRun(Session, "run-1", "run-2"));
    }

    [Fact]
    public void Should_reply_StaleRun_for_a_queued_run()
    {
        Start(T0);
        var queued = Enqueue(At(1));

        AssertChangesNothing(() => State.Publish(queued, new TokenDelta("early"), false, At(2)), new StaleRun(Session, queued, "run-1"));
    }

    [Theory]
    [InlineData(RunStatus.Completed)]
    [InlineData(RunStatus.Cancelled)]
    [InlineData(RunStatus.Error)]
    public void Should_reply_StaleRun_and_change_nothing_when_the_run_already_ended(RunStatus status)
    {
        var runId = EndFirstRunWith(status, T0, At(1));

        AssertChangesNothing(() => State.Publish(runId, new RunnerProgress(9), true, At(2)), new StaleRun(Session, runId, runId));
    }

    [Fact]
    public void Should_reply_StaleRun_when_the_session_never_ran()
    {
        AssertChangesNothing(() => State.Publish("run-1", new TokenDelta("x"), false, T0), new StaleRun(Session, "run-1", null));
    }

    [Theory]
    [MemberData(nameof(LifecycleEvents))]
    public void Should_refuse_a_lifecycle_event_and_change_nothing(AgentEvent evt, string wireName)
    {
        Start(T0);

        var expected = new InvalidCommand(Session, $"'{wireName}' is a lifecycle event; only the runner publishes it");
        AssertChangesNothing(() => State.Publish("run-1", evt, false, At(1)), expected);
        // Validation comes before fencing: a stale run id still gets the validation error.
        AssertChangesNothing(() => State.Publish("stale", evt, true, At(1)), expected);
    }

    [Theory]
    [MemberData(nameof(InvalidEvents))]
    public void Should_refuse_an_invalid_progress_event_and_change_nothing(AgentEvent? evt, string reason)
    {
        Start(T0);

        AssertChangesNothing(() => State.Publish("run-1", evt!, true, At(1)), new InvalidCommand(Session, reason));
    }
}
