using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Scenarios;

public class FinalizeSpecs(ITestOutputHelper output) : RunnerSpec(output)
{
    public static TheoryData<string, RunStatus, string?> Outcomes => new()
    {
        { "completed", RunStatus.Completed, null },
        { "cancelled", RunStatus.Cancelled, null },
        { "operation-cancelled-exception", RunStatus.Cancelled, null },
        { "task-cancelled-exception", RunStatus.Cancelled, null },
        { "exception", RunStatus.Error, "network error" },
    };

    private static RunOutcome OutcomeNamed(string name) => name switch
    {
        "completed" => RunOutcome.Completed,
        "cancelled" => RunOutcome.Cancelled,
        "operation-cancelled-exception" => RunOutcome.FromException(new OperationCanceledException()),
        "task-cancelled-exception" => RunOutcome.FromException(new TaskCanceledException()),
        _ => RunOutcome.FromException(new InvalidOperationException("network error")),
    };

    [Theory]
    [MemberData(nameof(Outcomes))]
    public void Should_map_the_execution_result_to_the_terminal_status(string outcome, RunStatus expected, string? error)
    {
        var run = Reserve("s1");
        var subscriber = Subscriber("s1");
        ExpectEvent<ExecutionStarted>(subscriber);

        var finalized = Ask<Finalized>(new Finalize("s1", run.RunId, OutcomeNamed(outcome)));

        Assert.Equal(new Finalized("s1", run.RunId, expected, error), finalized);
        var finished = ExpectEvent<ExecutionFinished>(subscriber, run.RunId);
        Assert.Equal(expected, finished.Status);
        Assert.Equal(error, finished.Error);
        var status = Status("s1");
        Assert.Equal(expected, status.Status);
        Assert.Equal(error, status.Error);
        Assert.NotNull(status.CompletedAt);
    }

    [Fact]
    public void Should_fence_a_stale_finalize_that_arrives_after_a_newer_run_started()
    {
        // The seed's bug: a slow, superseded run finishing late overwrote the newer run's status.
        var slow = Reserve("s1");
        Ask<CancelRequested>(new Cancel("s1"));
        Supervisor.Tell(new Reserve("s1", ConflictPolicy.Interrupt), TestActor);
        var newer = ExpectMsg<Reserved>();

        var stale = Ask<StaleRun>(new Finalize("s1", slow.RunId, RunOutcome.Failed("late failure")));

        Assert.Equal(new StaleRun("s1", slow.RunId, newer.RunId), stale);
        var status = Status("s1");
        Assert.Equal(RunStatus.Running, status.Status);
        Assert.Equal(newer.RunId, status.RunId);
        Assert.Null(status.Error);
    }

    [Fact]
    public void Should_fence_a_stale_finalize_after_the_newer_run_already_ended()
    {
        var old = Reserve("s1");
        Ask<Finalized>(new Finalize("s1", old.RunId, RunOutcome.Completed));
        var newer = Reserve("s1");
        Ask<Finalized>(new Finalize("s1", newer.RunId, RunOutcome.Completed));

        Ask<StaleRun>(new Finalize("s1", old.RunId, RunOutcome.Failed("late")));

        Assert.Equal(RunStatus.Completed, Status("s1").Status);
    }

    [Fact]
    public void Should_answer_a_repeated_finalize_with_AlreadyFinalized_and_keep_the_first_status()
    {
        var run = Reserve("s1");
        Ask<Finalized>(new Finalize("s1", run.RunId, RunOutcome.Completed));
        var subscriber = Subscriber("s1", afterSequence: Status("s1").LastSequence);

        var again = Ask<AlreadyFinalized>(new Finalize("s1", run.RunId, RunOutcome.Failed("second opinion")));

        Assert.Equal(new AlreadyFinalized("s1", run.RunId, RunStatus.Completed), again);
        Assert.Equal(RunStatus.Completed, Status("s1").Status);
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Should_answer_a_finalize_for_a_session_without_runs_with_StaleRun()
    {
        var stale = Ask<StaleRun>(new Finalize("empty", Guid.NewGuid().ToString(), RunOutcome.Completed));

        Assert.Null(stale.CurrentRunId);
        Assert.Equal(RunStatus.Pending, Status("empty").Status);
    }
}
