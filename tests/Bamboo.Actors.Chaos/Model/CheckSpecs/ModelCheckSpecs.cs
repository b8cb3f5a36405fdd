using Bamboo.Actors.Chaos.Model.Checks;
using Bamboo.Actors.Chaos.Model.Faults;
using Bamboo.Actors.Chaos.Model.Records;
using Bamboo.Actors.Chaos.Model.Workload;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Chaos.Model.CheckSpecs;

/// <summary>What each model check proves, on hand-made histories: it reports the broken promise, and accepts the legal
/// interleavings next to it.</summary>
public sealed class ModelCheckSpecs
{
    private readonly ModelHistories _history = new();

    private IReadOnlyList<ModelViolation> Find(IModelCheck check, GaugeReading? gauge = null) => check.Find(_history.Record(gauge)).ToArray();

    [Fact]
    public void Should_report_two_runs_each_seen_active_after_the_other()
    {
        _history.Reserved("r1", 0, 1);
        _history.Running("r2", 2, 3);
        _history.Running("r1", 4, 5);

        var violation = Assert.Single(Find(new OneActiveRunCheck()));
        Assert.Contains("r1", violation.Summary);
    }

    [Fact]
    public void Should_accept_an_interrupt_and_a_queued_start()
    {
        _history.Reserved("r1", 0, 1);
        _history.Running("r1", 1.5, 2);
        _history.Reserved("r2", 2.5, 3);
        // The queued run's start is told later: its notice spans from when it was asked for.
        _history.Op(OpKind.Notice, 3.5, 6, new Reserved(ModelHistories.Session, "r3", _history.Stamp(5)), purpose: "queued run started");
        _history.Finalized("r2", RunStatus.Completed, 4, 4.5);
        _history.Running("r3", 7, 8);

        Assert.Empty(Find(new OneActiveRunCheck()));
    }

    [Fact]
    public void Should_report_an_acknowledged_ending_later_seen_otherwise_and_accept_it_seen_again()
    {
        _history.Reserved("r1", 0, 1);
        _history.Finalized("r1", RunStatus.Completed, 2, 3);
        _history.Ended("r1", RunStatus.Completed, 4, 5);
        Assert.Empty(Find(new OutcomeNeverContradictedCheck()));

        _history.Ended("r1", RunStatus.Cancelled, 6, 7);
        var violation = Assert.Single(Find(new OutcomeNeverContradictedCheck()));
        Assert.Contains("later seen as cancelled", violation.Summary);
    }

    [Fact]
    public void Should_report_an_acknowledged_cancel_forgotten()
    {
        _history.Reserved("r1", 0, 1);
        _history.Op(OpKind.Cancel, 2, 3, new CancelRequested(ModelHistories.Session, "r1"), purpose: "session");
        _history.Running("r1", 4, 5, cancelRequested: true);
        Assert.Empty(Find(new OutcomeNeverContradictedCheck()));

        _history.Running("r1", 6, 7, cancelRequested: false);
        Assert.Contains("without its cancel requested", Assert.Single(Find(new OutcomeNeverContradictedCheck())).Summary);
    }

    [Fact]
    public void Should_report_a_granted_run_forgotten_for_an_older_one()
    {
        _history.Reserved("r1", 0, 1);
        _history.Finalized("r1", RunStatus.Completed, 1.5, 2);
        _history.Reserved("r2", 3, 4);
        _history.Op(OpKind.GetStatus, 5, 6, _history.Snapshot(RunStatus.Completed, "r1"), purpose: "read");

        Assert.Contains("older run", Assert.Single(Find(new OutcomeNeverContradictedCheck())).Summary);
    }

    [Fact]
    public void Should_report_a_run_active_past_its_deadline_unless_a_fault_window_explains_it()
    {
        _history.Reserved("r1", 0, 1);
        _history.Run("r1", activeAt: 1, deadline: 2);
        _history.Running("r1", 12, 13);
        Assert.Contains("should have ended", Assert.Single(Find(new RunsEndInTimeCheck())).Summary);

        _history.Fault(ModelFaultKind.Crash, 3, 5);
        Assert.Empty(Find(new RunsEndInTimeCheck()));
    }

    [Fact]
    public void Should_report_a_run_ended_only_long_after_its_executor_died()
    {
        _history.Reserved("r1", 0, 1);
        _history.Run("r1", activeAt: 1, deadline: 60, diedAt: 2, cause: "killed");
        _history.Ended("r1", RunStatus.Error, 30, 31, "lost on restart", endedAt: 30.5);

        Assert.Single(Find(new RunsEndInTimeCheck()));
        // Ended as lost while its executor lived: the other check.
        Assert.Empty(Find(new ExecutorLostOnlyWhenLostCheck()));
    }

    [Fact]
    public void Should_report_executor_lost_while_the_executor_lived()
    {
        _history.Reserved("r1", 0, 1);
        _history.Run("r1", activeAt: 1, deadline: 60);
        _history.Ended("r1", RunStatus.Error, 5, 6, "executor lost", endedAt: 5.5);

        Assert.Contains("was alive", Assert.Single(Find(new ExecutorLostOnlyWhenLostCheck())).Summary);
    }

    [Fact]
    public void Should_explain_missing_answers_by_faults_and_injected_failures_only()
    {
        _history.Op(OpKind.GetStatus, 1, 6, null, Outcome.TimedOut, purpose: "read");
        _history.Op(OpKind.Finalize, 10, 10.1, new Unavailable(ModelHistories.Session, "journal unavailable"), Outcome.Unavailable, runId: "r1");
        Assert.Equal(2, Find(new EveryCommandAnsweredCheck()).Count);

        _history.Fault(ModelFaultKind.Outage, 0, 2);
        _history.Injected(10.05, WriteFault.Fail);
        Assert.Empty(Find(new EveryCommandAnsweredCheck()));
    }

    [Fact]
    public void Should_report_an_executor_never_told_that_its_run_ended()
    {
        _history.Reserved("r1", 0, 1);
        _history.Run("r1", activeAt: 1, deadline: 5);
        Assert.Single(Find(new ExecutorToldCheck()));
    }

    [Fact]
    public void Should_accept_an_executor_signalled_or_dead()
    {
        _history.Reserved("r1", 0, 1);
        _history.Run("r1", activeAt: 1, deadline: 5, signalledAt: 6);
        _history.Run("r2", activeAt: 1, deadline: 5, diedAt: 3, cause: "killed");
        Assert.Empty(Find(new ExecutorToldCheck()));
    }

    [Fact]
    public void Should_report_a_subscriber_seeing_a_sequence_twice()
    {
        _history.Subscriber(null, 0, (1, _history.Event(new TokenDelta("a"), "r1", 3, 0.9)), (2, _history.Event(new TokenDelta("b"), "r1", 3, 1.9)));
        Assert.Contains("sequence 3 after 3", Assert.Single(Find(new SubscriberOrderCheck())).Summary);
    }

    [Fact]
    public void Should_report_a_sequence_naming_two_events()
    {
        _history.Subscriber(null, 0, (1, _history.Event(new TokenDelta("a"), "r1", 3, 0.9)));
        _history.Subscriber(null, 0, (2, _history.Event(new ToolStarted("t"), "r2", 3, 1.9)));
        Assert.Single(Find(new SequenceIdentityCheck()));
    }

    [Fact]
    public void Should_report_a_cursor_subscriber_missing_an_event_unless_a_gap_covers_it()
    {
        var three = _history.Event(new TokenDelta("a"), "r1", 3, 1);
        var four = _history.Event(new TokenDelta("b"), "r1", 4, 1.1);
        var five = _history.Event(new ToolStarted("t"), "r1", 5, 1.2);
        _history.Truth(5, three, four, five);
        _history.Subscriber(2, 5, (2, three), (2, five));
        Assert.Contains("missed 1 event", Assert.Single(Find(new CursorReplayCheck())).Summary);
    }

    [Fact]
    public void Should_accept_a_cursor_subscriber_told_of_the_gap()
    {
        var three = _history.Event(new TokenDelta("a"), "r1", 3, 1);
        var five = _history.Event(new ToolStarted("t"), "r1", 5, 1.2);
        _history.Truth(5, three, five);
        _history.Subscriber(2, 5, (2, three), (2, new ReplayGap(4, 4) { SessionId = ModelHistories.Session }), (2, five));
        Assert.Empty(Find(new CursorReplayCheck()));
    }

    [Fact]
    public void Should_excuse_progress_events_lost_with_their_shards_lease_but_not_with_a_leave()
    {
        var three = _history.Event(new TokenDelta("a"), "r1", 3, 1);
        _history.Truth(2);
        _history.Subscriber(2, 2, (2, three));
        _history.Fault(ModelFaultKind.Leave, 1.5, 4);
        Assert.Contains("progress event", Assert.Single(Find(new CursorReplayCheck())).Summary);

        _history.LeaseLost(7);
        Assert.Empty(Find(new CursorReplayCheck()));
    }

    [Fact]
    public void Should_report_a_critical_event_delivered_and_then_lost()
    {
        var three = _history.Event(new ToolStarted("t"), "r1", 3, 1);
        _history.Truth(2);
        _history.Subscriber(2, 2, (2, three));
        Assert.Contains("critical event", Assert.Single(Find(new CursorReplayCheck())).Summary);
    }

    [Fact]
    public void Should_report_the_gauge_differing_from_the_sessions_found_running()
    {
        Assert.Empty(Find(new GaugeCheck(), new GaugeReading(0, 0, 5, 5, 5, 0, 0, 0)));
        Assert.Equal(2, Find(new GaugeCheck(), new GaugeReading(0, 2, 5, 5, 5, 1, 0, 0)).Count);
        Assert.Single(Find(new GaugeCheck(), new GaugeReading(0, 0, 5, 5, 5, 0, 0, -1)));
    }

    [Fact]
    public void Should_report_a_message_of_another_session()
    {
        _history.Notice($"{ModelRequests.Misdelivery} a requester of GetStatus of 's' received CancelRun(r9, chaos) of 'other'", 1);
        Assert.Single(Find(new ReachesItsOwnActorCheck()));
    }
}
