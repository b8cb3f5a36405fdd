using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;

namespace Bamboo.Actors.Tests.Runners;

/// <summary>Facts replayed from a journal: a fact for a run that is not the active one changes nothing.</summary>
public sealed class RunnerStateRecoverySpecs : RunnerStateSpec
{
    private static readonly DateTimeOffset T1 = T0.AddSeconds(1);
    private static readonly DateTimeOffset T2 = T0.AddSeconds(2);

    [Fact]
    public void Should_not_end_an_ended_run_a_second_time()
    {
        State.Apply(new RunnerFact<string>.RunStarted("run-a", T0, T0 + DefaultDeadline, null));
        State.Apply(new RunnerFact<string>.RunEnded("run-a", RunStatus.Completed, null, T1, 3, "search", ToolPhase.Finished));

        // A stale writer's later end of the same run.
        State.Apply(new RunnerFact<string>.RunEnded("run-a", RunStatus.Error, "lost on restart", T2, 0, null, null));

        Assert.Equal((RunStatus.Completed, (string?)null, (DateTimeOffset?)T1, 3, "search"),
            (State.Status, State.Error, State.CompletedAt, State.RoundCount, State.LastToolName));
    }

    [Fact]
    public void Should_not_mark_an_ended_run_as_cancel_requested()
    {
        State.Apply(new RunnerFact<string>.RunStarted("run-a", T0, T0 + DefaultDeadline, null));
        State.Apply(new RunnerFact<string>.RunEnded("run-a", RunStatus.Completed, null, T1, 0, null, null));

        State.Apply(new RunnerFact<string>.CancelRequested("run-a", "cancelled"));

        Assert.False(State.CancelRequested);
    }
}
