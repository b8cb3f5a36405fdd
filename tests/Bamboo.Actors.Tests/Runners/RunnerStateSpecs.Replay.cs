using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;

namespace Bamboo.Actors.Tests.Runners;

public sealed class RunnerStateReplaySpecs : RunnerStateSpec
{
    [Fact]
    public void Should_replay_nothing_before_the_first_event()
    {
        Assert.Empty(State.Replay(null));
        Assert.Empty(State.Replay(0));
        Assert.Empty(State.Replay(5));
    }

    [Fact]
    public void Should_replay_critical_events_and_the_latest_budget_merged_by_sequence_without_a_cursor()
    {
        Start(At(1));
        State.Publish("run-1", new TokenBudget(10, 100), false, At(2));
        State.Publish("run-1", new ToolStarted("search"), false, At(3));
        State.Publish("run-1", new TokenDelta("a"), false, At(4));
        State.Publish("run-1", new TokenBudget(20, 100), false, At(5));
        State.Publish("run-1", new RunnerProgress(1), false, At(6));
        State.Publish("run-1", new ToolLifecycle("search", ToolPhase.Finished), false, At(7));
        State.Publish("run-1", new TokenDelta("b"), false, At(8));

        Assert.Equal(
        [
            Stamped(new ExecutionStarted(), "run-1", 1, At(1)),
            Stamped(new ToolStarted("search"), "run-1", 3, At(3)),
            Stamped(new TokenBudget(20, 100), "run-1", 5, At(5)),
            Stamped(new ToolLifecycle("search", ToolPhase.Finished), "run-1", 7, At(7)),
        ], State.Replay(null));
    }

    [Fact]
    public void Should_replay_the_latest_budget_last_when_it_is_the_newest_event()
    {
        Start(At(1));
        State.Publish("run-1", new ToolStarted("search"), false, At(2));
        State.Publish("run-1", new TokenBudget(5, 50), false, At(3));

        Assert.Equal(
        [
            Stamped(new ExecutionStarted(), "run-1", 1, At(1)),
            Stamped(new ToolStarted("search"), "run-1", 2, At(2)),
            Stamped(new TokenBudget(5, 50), "run-1", 3, At(3)),
        ], State.Replay(null));
    }

    [Fact]
    public void Should_replay_lifecycle_events_of_every_run_but_only_the_budget_of_the_current_run()
    {
        Start(At(1));
        State.Publish("run-1", new TokenBudget(10, 100), false, At(2));
        Finish("run-1", At(3));
        Start(At(4));
        Enqueue(At(5));

        Assert.Equal(
        [
            Stamped(new ExecutionStarted(), "run-1", 1, At(1)),
            Stamped(new ExecutionFinished(RunStatus.Completed), "run-1", 3, At(3)),
            Stamped(new ExecutionStarted(), "run-2", 4, At(4)),
            Stamped(new RunQueued(1), "run-3", 5, At(5)),
        ], State.Replay(null));
    }

    [Fact]
    public void Should_replay_every_event_after_the_cursor_when_none_was_evicted()
    {
        var all = PublishDeltas(count: 5);

        Assert.Equal(all, State.Replay(0));
        Assert.Equal(all[3..], State.Replay(3));
        Assert.Equal(all[5..], State.Replay(5));
        Assert.Empty(State.Replay(6));
    }

    [Fact]
    public void Should_replay_nothing_for_a_cursor_beyond_the_last_sequence()
    {
        // Sequences never go backwards (durable numbering resumes above its reserved block, a new in-memory incarnation
        // above its floor): a cursor beyond the last sequence saw events a crash lost, and everything after it is live.
        PublishDeltas(count: 3);

        Assert.Empty(State.Replay(5));
        Assert.Empty(State.Replay(long.MaxValue));
    }

    /// <summary>Starts run-1 at <c>At(1)</c> and publishes <paramref name="count"/> deltas at <c>At(sequence)</c>.</summary>
    private AgentEvent[] PublishDeltas(int count)
    {
        Start(At(1));
        for (var sequence = 2; sequence <= count + 1; sequence++)
            State.Publish("run-1", new TokenDelta($"t{sequence}"), false, At(sequence));
        return
        [
            Stamped(new ExecutionStarted(), "run-1", 1, At(1)),
            .. Enumerable.Range(2, count).Select(sequence => Stamped(new TokenDelta($"t{sequence}"), "run-1", sequence, At(sequence))),
        ];
    }
}

public sealed class RunnerStateReplayBoundsSpecs()
    : RunnerStateSpec(RunnerSettings.Default with { EventRetention = 5, ReplayCriticalEvents = 3 })
{
    [Fact]
    public void Should_replay_only_the_newest_critical_events_up_to_the_bound_without_a_cursor()
    {
        Start(At(1));
        for (var sequence = 2; sequence <= 7; sequence++)
            State.Publish("run-1", new ToolStarted($"tool{sequence}"), false, At(sequence));

        Assert.Equal(
        [
            Stamped(new ToolStarted("tool5"), "run-1", 5, At(5)),
            Stamped(new ToolStarted("tool6"), "run-1", 6, At(6)),
            Stamped(new ToolStarted("tool7"), "run-1", 7, At(7)),
        ], State.Replay(null));
    }

    [Fact]
    public void Should_put_a_budget_older_than_every_replayed_critical_event_first()
    {
        Start(At(1));
        State.Publish("run-1", new TokenBudget(1, 9), false, At(2));
        for (var sequence = 3; sequence <= 6; sequence++)
            State.Publish("run-1", new ToolStarted($"tool{sequence}"), false, At(sequence));

        Assert.Equal(
        [
            Stamped(new TokenBudget(1, 9), "run-1", 2, At(2)),
            Stamped(new ToolStarted("tool4"), "run-1", 4, At(4)),
            Stamped(new ToolStarted("tool5"), "run-1", 5, At(5)),
            Stamped(new ToolStarted("tool6"), "run-1", 6, At(6)),
        ], State.Replay(null));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 2)]
    [InlineData(2, 3)]
    public void Should_open_a_cursor_replay_with_the_exact_gap_of_evicted_events(long cursor, long gapFrom)
    {
        var retained = PublishDeltasUpTo(lastSequence: 8);

        var replay = State.Replay(cursor);

        var gap = new ReplayGap(gapFrom, 3) { SessionId = Session, RunId = "run-1", Sequence = 0, Timestamp = At(8) };
        Assert.Equal([gap, .. retained], replay);
    }

    [Fact]
    public void Should_not_report_a_gap_when_the_cursor_is_just_before_the_oldest_retained_event()
    {
        var retained = PublishDeltasUpTo(lastSequence: 8);

        Assert.Equal(retained, State.Replay(3));
        Assert.Equal(retained[2..], State.Replay(5));
        Assert.Equal(retained[4..], State.Replay(7));
        Assert.Empty(State.Replay(8));
    }

    [Theory]
    [InlineData(9)]
    [InlineData(1000)]
    public void Should_replay_nothing_for_a_cursor_beyond_the_last_sequence_even_after_evictions(long cursor)
    {
        PublishDeltasUpTo(lastSequence: 8);

        Assert.Empty(State.Replay(cursor));
    }

    [Fact]
    public void Should_stamp_the_gap_with_the_current_run()
    {
        Start(At(1));
        Finish("run-1", At(2));
        Start(At(3));
        Finish("run-2", At(4));
        Start(At(5));
        State.Publish("run-3", new TokenDelta("x"), false, At(6));

        var replay = State.Replay(0);

        Assert.Equal(new ReplayGap(1, 1) { SessionId = Session, RunId = "run-3", Timestamp = At(6) }, replay[0]);
        Assert.Equal([2L, 3, 4, 5, 6], replay.Skip(1).Select(e => e.Sequence));
    }

    /// <summary>Starts run-1 at <c>At(1)</c>, publishes deltas up to <paramref name="lastSequence"/> and returns the
    /// five retained events.</summary>
    private AgentEvent[] PublishDeltasUpTo(int lastSequence)
    {
        Start(At(1));
        for (var sequence = 2; sequence <= lastSequence; sequence++)
            State.Publish("run-1", new TokenDelta($"t{sequence}"), false, At(sequence));
        return Enumerable.Range(lastSequence - 4, 5)
            .Select(sequence => (AgentEvent)Stamped(new TokenDelta($"t{sequence}"), "run-1", sequence, At(sequence)))
            .ToArray();
    }
}

public sealed class RunnerStateReplayWithoutCriticalEventsSpecs()
    : RunnerStateSpec(RunnerSettings.Default with { ReplayCriticalEvents = 0 })
{
    [Fact]
    public void Should_replay_only_the_latest_budget_without_a_cursor()
    {
        Start(At(1));
        State.Publish("run-1", new ToolStarted("search"), false, At(2));
        Assert.Empty(State.Replay(null));

        State.Publish("run-1", new TokenBudget(3, 4), false, At(3));

        Assert.Equal([Stamped(new TokenBudget(3, 4), "run-1", 3, At(3))], State.Replay(null));
        Assert.Equal(3, State.Replay(0).Count);
    }
}

public sealed class RunnerStateSnapshotSpecs : RunnerStateSpec
{
    [Fact]
    public void Should_describe_a_session_that_never_ran()
    {
        Subscribers(3);

        Assert.Equal(
            new RunnerReplies.RunnerSnapshot(Session, RunStatus.Pending, null, null, null, null, null, 0, null, null, false, 0, 3, 0, null),
            State.Snapshot());
    }

    [Fact]
    public void Should_describe_the_active_run_its_diagnostics_queue_and_cancellation()
    {
        Start(T0, ExecA, TimeSpan.FromMinutes(10));
        State.Publish("run-1", new ToolStarted("search"), false, At(1));
        State.Publish("run-1", new RunnerProgress(2), false, At(2));
        Enqueue(At(3));
        Enqueue(At(4));
        State.Cancel(null, null, At(5));
        Subscribers(7);

        Assert.Equal(
            new RunnerReplies.RunnerSnapshot(Session, RunStatus.Running, "run-1", T0, null, null, At(5), 2, "search", ToolPhase.Begin,
                true, 2, 7, 6, T0.AddMinutes(10)),
            State.Snapshot());
    }

    [Fact]
    public void Should_keep_the_last_runs_diagnostics_but_no_deadline_once_it_ended()
    {
        Start(T0, deadline: TimeSpan.FromMinutes(10));
        State.Publish("run-1", new ToolLifecycle("fetch", ToolPhase.Error), false, At(1));
        State.Publish("run-1", new RunnerProgress(4), false, At(2));
        Finish("run-1", At(3), RunOutcome.Failed("fetch failed"));

        Assert.Equal(
            new RunnerReplies.RunnerSnapshot(Session, RunStatus.Error, "run-1", T0, At(3), "fetch failed", At(3), 4, "fetch", ToolPhase.Error,
                false, 0, 0, 4, null),
            State.Snapshot());
        Assert.Equal(T0.AddMinutes(10), State.DeadlineAt);
    }

    private void Subscribers(int count)
    {
        for (var i = 0; i < count; i++) State.Subscribe($"subscriber-{i}", afterSequence: null);
    }
}
