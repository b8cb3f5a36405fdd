using Akka.Actor;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.ExecutorSignals;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Scenarios;

/// <summary>
/// A node that shuts down drains its sessions: queued runs are withdrawn, active runs are asked to cancel and get the
/// grace to finalize; a run still active after the grace ends as <c>Error("shutdown")</c> with its executor told.
/// </summary>
public class ShutdownDrainSpecs(ITestOutputHelper output) : RunnerSpec(output)
{
    private static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(500);

    [Fact]
    public void Should_end_a_run_whose_executor_does_not_finalize_within_the_grace_as_shutdown()
    {
        var executor = CreateTestProbe();
        var run = Reserve("drain-stuck", executor.Ref);

        Supervisor.Tell(new RunnerSupervisor.DrainRuns("shutting down", Grace), TestActor);

        Assert.Equal("shutting down", executor.ExpectMsg<CancelRun>().Reason);
        Assert.Equal(new RunnerSupervisor.RunsDrained(1, 1, 0), ExpectMsg<RunnerSupervisor.RunsDrained>());
        Assert.Equal(RunnerSupervisor.ShutdownError, executor.ExpectMsg<CancelRun>().Reason);
        var status = Status("drain-stuck");
        Assert.Equal((RunStatus.Error, run.RunId, RunnerSupervisor.ShutdownError), (status.Status, status.RunId, status.Error));
    }

    [Fact]
    public void Should_leave_a_run_that_its_executor_finalized_within_the_grace_as_it_ended()
    {
        var executor = CreateTestProbe();
        var run = Reserve("drain-cooperative", executor.Ref);
        Supervisor.Tell(new Reserve("drain-cooperative", ConflictPolicy.Enqueue), TestActor);
        var queued = ExpectMsg<Queued>();

        Supervisor.Tell(new RunnerSupervisor.DrainRuns("shutting down", TimeSpan.FromSeconds(10)), TestActor);
        executor.ExpectMsg<CancelRun>();
        // The queued run's reserver hears it was withdrawn.
        Assert.Equal(queued.RunId, ExpectMsg<Rejected>().RunId);
        Supervisor.Tell(new Finalize("drain-cooperative", run.RunId, RunOutcome.Cancelled), executor.Ref);

        Assert.Equal(new RunnerSupervisor.RunsDrained(1, 0, 0), ExpectMsg<RunnerSupervisor.RunsDrained>());
        Assert.Equal(RunStatus.Cancelled, Status("drain-cooperative").Status);
    }

    [Fact]
    public void Should_answer_at_once_when_no_session_has_a_run()
    {
        Status("drain-idle");

        Supervisor.Tell(new RunnerSupervisor.DrainRuns("shutting down", TimeSpan.FromSeconds(10)), TestActor);

        Assert.Equal(new RunnerSupervisor.RunsDrained(1, 0, 0), ExpectMsg<RunnerSupervisor.RunsDrained>(TimeSpan.FromSeconds(2)));
    }
}

/// <summary>The same drain with event-sourced sessions: the shutdown error is recorded.</summary>
public sealed class DurableShutdownDrainSpecs(ITestOutputHelper output) : ShutdownDrainSpecs(output)
{
    protected override bool Durable => true;
}
