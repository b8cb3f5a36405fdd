using Akka.Actor;
using Akka.Configuration;
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

/// <summary>Which shutdowns drain: a stop drains the node's runs; a node the cluster downed, or that never joined, has no
/// runs of its own left and leaves at once.</summary>
public sealed class DrainOnShutdownSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    // A drain that waited would hold the phase for its whole timeout.
    private static readonly Config NodeConfig = ConfigurationFactory.ParseString("""
        akka.coordinated-shutdown.phases.service-requests-done.timeout = 30s
        akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
        """);

    [Fact]
    public async Task Should_drain_the_runs_of_a_node_that_is_stopped()
    {
        using var node = ActorSystem.Create("stopped", NodeConfig);
        var supervisor = CreateTestProbe();
        RunnerSupervisor.DrainOnShutdown(node, supervisor.Ref, TimeSpan.FromSeconds(5));

        var stopping = CoordinatedShutdown.Get(node).Run(CoordinatedShutdown.ClrExitReason.Instance);

        await supervisor.ExpectMsgAsync<RunnerSupervisor.DrainRuns>();
        supervisor.Reply(new RunnerSupervisor.RunsDrained(0, 0, 0));
        await stopping.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData("downed")]
    [InlineData("never joined")]
    public async Task Should_not_wait_for_a_drain_on_a_node_the_cluster_downed_or_that_never_joined(string why)
    {
        using var node = ActorSystem.Create("leaving", NodeConfig);
        var supervisor = CreateTestProbe();
        RunnerSupervisor.DrainOnShutdown(node, supervisor.Ref, TimeSpan.FromSeconds(5));

        CoordinatedShutdown.Reason reason = why == "downed"
            ? CoordinatedShutdown.ClusterDowningReason.Instance
            : CoordinatedShutdown.ClusterJoinUnsuccessfulReason.Instance;
        await CoordinatedShutdown.Get(node).Run(reason).WaitAsync(TimeSpan.FromSeconds(5));

        await supervisor.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }
}
