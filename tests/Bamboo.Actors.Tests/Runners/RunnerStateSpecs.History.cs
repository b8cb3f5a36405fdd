using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Runners;

/// <summary>Runs as records: request, output, cancellation, and the events a durable session records.</summary>
public sealed class RunnerStateHistorySpecs : RunnerStateSpec
{
    private static RunRequest Request(DateTimeOffset at, string? key = null, string? input = "\"hi\"", TimeSpan? heartbeat = null) =>
        new(at, ConflictPolicy.Reject, "echo", input, key,
            key is null ? null : RunnerState<string>.RequestDigest(ConflictPolicy.Reject, null, "echo", input, heartbeat), heartbeat);

    [Fact]
    public void Should_keep_the_current_runs_request_output_and_cancellation_in_its_record()
    {
        State.Reserve(ConflictPolicy.Reject, ExecA, null, null, T0, Request(T0));
        State.Cancel(null, "stop", At(1));
        State.Finalize("run-1", RunOutcome.Cancelled, At(2), output: """{"partial":true}""");

        var record = Assert.IsType<RunRecord>(State.GetRun("run-1").Reply);

        Assert.Equal(new RunRecord(Session, "run-1", RunStatus.Cancelled, T0, T0, At(2), null, ConflictPolicy.Reject, "echo", "\"hi\"",
            """{"partial":true}""", 0, null, 3, true, "stop", CancelSources.Caller, null), record);
        Assert.Equal(TimeSpan.Zero, record.QueueWait);
    }

    [Fact]
    public void Should_give_a_queued_runs_record_with_its_position_and_answer_UnknownRun_for_any_other()
    {
        Start(T0);
        var queued = Enqueue(At(1));

        var record = Assert.IsType<RunRecord>(State.GetRun(queued).Reply);

        Assert.Equal((RunStatus.Pending, 1, At(1)), (record.Status, record.QueuePosition, record.CreatedAt));
        Assert.Equal(new UnknownRun(Session, "run-99"), State.GetRun("run-99").Reply);
    }

    [Fact]
    public void Should_give_a_run_started_from_the_queue_its_queue_wait()
    {
        var first = Start(T0);
        var queued = Enqueue(At(1));
        Finish(first, At(5));

        var record = Assert.IsType<RunRecord>(State.GetRun(queued).Reply);

        Assert.Equal(TimeSpan.FromSeconds(4), record.QueueWait);
    }

    [Fact]
    public void Should_answer_a_retry_with_the_same_idempotency_key_with_the_first_answer_and_change_nothing()
    {
        var first = State.Reserve(ConflictPolicy.Reject, null, null, null, T0, Request(T0, "key-1"));

        AssertChangesNothing(() => State.Reserve(ConflictPolicy.Reject, null, null, null, At(5), Request(At(5), "key-1")),
            Assert.IsType<Reserved>(first.Reply) with { Replayed = true });
    }

    [Fact]
    public void Should_refuse_the_same_idempotency_key_with_another_request()
    {
        State.Reserve(ConflictPolicy.Reject, null, null, null, T0, Request(T0, "key-1"));

        AssertChangesNothing(() => State.Reserve(ConflictPolicy.Reject, null, null, null, At(1), Request(At(1), "key-1", input: "\"other\"")),
            new Rejected(Session, "idempotency_key_reused", "run-1"));
    }

    [Fact]
    public void Should_answer_a_retry_of_a_queued_start_with_its_queued_answer_even_after_it_started()
    {
        var first = Start(T0);
        var queued = State.Reserve(ConflictPolicy.Enqueue, null, null, null, At(1),
            new RunRequest(At(1), ConflictPolicy.Enqueue, null, null, "key-2", "d"));
        Finish(first, At(2));

        var retry = State.Reserve(ConflictPolicy.Enqueue, null, null, null, At(3), new RunRequest(At(3), ConflictPolicy.Enqueue, null, null, "key-2", "d"));

        Assert.Equal(Assert.IsType<Queued>(queued.Reply) with { Replayed = true }, retry.Reply);
    }

    [Fact]
    public void Should_forget_an_idempotency_key_after_the_window()
    {
        State.Reserve(ConflictPolicy.Reject, null, null, null, T0, Request(T0, "key-1"));
        Finish("run-1", At(1));

        var later = T0 + Settings.IdempotencyWindow + TimeSpan.FromSeconds(1);
        var again = State.Reserve(ConflictPolicy.Reject, null, null, null, later, Request(later, "key-1"));

        Assert.Equal("run-2", Assert.IsType<Reserved>(again.Reply).RunId);
    }

    [Fact]
    public void Should_end_a_worker_run_that_sends_nothing_for_its_heartbeat_timeout()
    {
        var heartbeat = TimeSpan.FromSeconds(10);
        var reserved = State.Reserve(ConflictPolicy.Reject, null, null, null, T0, Request(T0, heartbeat: heartbeat));
        Assert.Contains(new RunnerEffect<string>.ScheduleHeartbeatCheck("run-1", heartbeat), reserved.Effects);

        Assert.IsType<Published>(State.Heartbeat("run-1", At(6)).Reply);
        var early = State.HeartbeatCheck("run-1", At(10));
        Assert.Equal(RunStatus.Running, State.Status);
        Assert.Contains(new RunnerEffect<string>.ScheduleHeartbeatCheck("run-1", TimeSpan.FromSeconds(6)), early.Effects);

        State.HeartbeatCheck("run-1", At(16));

        Assert.Equal((RunStatus.Error, RunnerState<string>.HeartbeatTimedOut), (State.Status, State.Error));
    }

    [Fact]
    public void Should_fence_a_heartbeat_of_another_run() =>
        AssertChangesNothing(() => State.Heartbeat("run-9", T0), new StaleRun(Session, "run-9", null));

    [Fact]
    public void Should_record_tool_events_at_once_and_progress_events_in_batches_before_the_next_fact()
    {
        Start(T0);
        var delta = State.Publish("run-1", new TokenDelta("a"), false, At(1));
        var tool = State.Publish("run-1", new ToolStarted("search"), false, At(2));
        var second = State.Publish("run-1", new TokenDelta("b"), false, At(3));
        var finalized = State.Finalize("run-1", RunOutcome.Completed, At(4));

        Assert.Empty(delta.Facts);
        var recorded = Assert.IsType<RunnerFact<string>.EventsRecorded>(Assert.Single(tool.Facts));
        Assert.Equal([2L, 3L], recorded.Events.Select(e => e.Sequence));
        Assert.Empty(second.Facts);
        Assert.Equal([typeof(RunnerFact<string>.EventsRecorded), typeof(RunnerFact<string>.RunEnded)], finalized.Facts.Select(f => f.GetType()));
    }

    [Fact]
    public void Should_delete_an_idle_sessions_history_and_keep_numbering_above_it()
    {
        Start(T0);
        Finish("run-1", At(1));
        var last = State.LastSequence;

        Assert.Equal(new SessionDeleted(Session), State.Delete(At(2)).Reply);

        Assert.Equal((RunStatus.Pending, (string?)null, last), (State.Status, State.RunId, State.LastSequence));
        Assert.Empty(State.Replay(null));
        Start(At(3));
        Assert.True(State.Replay(0)[^1].Sequence > last);
    }

    [Fact]
    public void Should_refuse_to_delete_a_session_with_a_run()
    {
        Start(T0);

        AssertChangesNothing(() => State.Delete(At(1)), new Rejected(Session, "session_busy", "run-1"));
    }
}
