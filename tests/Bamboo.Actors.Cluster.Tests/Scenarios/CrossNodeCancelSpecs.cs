using Bamboo.Actors.Client;
using Bamboo.Actors.Cluster.Tests.Infrastructure;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.ExecutorSignals;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Cluster.Tests.Scenarios;

public sealed class CrossNodeCancelSpecs(SharedClusterFixture fixture, ITestOutputHelper output) : SharedClusterSpec(fixture, output)
{
    [Fact]
    public async Task Should_fire_the_token_of_a_lease_on_one_node_when_a_third_node_cancels()
    {
        // Lease on node-1, runner on node-2, cancel from node-3.
        var (leaseNode, runnerNode, cancelNode) = (Cluster[0], Cluster[1], Cluster[2]);
        var sessionId = SessionsOn(runnerNode, 1, "cancel-lease")[0];
        await using var lease = await leaseNode.Client.ReserveAsync(sessionId);
        Assert.Equal(LeaseStatus.Active, lease.Status);

        var reply = await cancelNode.Client.CancelAsync(sessionId, reason: "user pressed stop");

        Assert.Equal(lease.RunId, Assert.IsType<CancelRequested>(reply).RunId);
        await AwaitCancellation(lease.CancellationToken, Remote);
        Assert.Equal("user pressed stop", lease.CancellationReason);
        // Cooperative: still running (cancel requested) until the executor says it stopped.
        var cancelling = Assert.IsType<RunnerSnapshot>(await runnerNode.Client.GetStatusAsync(sessionId));
        Assert.Equal(RunStatus.Running, cancelling.Status);
        Assert.True(cancelling.CancelRequested);

        var result = await lease.CancelledAsync();

        Assert.Equal(RunStatus.Cancelled, result.Status);
        Assert.Equal(RunStatus.Cancelled, Assert.IsType<RunnerSnapshot>(await cancelNode.Client.GetStatusAsync(sessionId)).Status);
    }

    [Fact]
    public void Should_signal_an_executor_on_another_node_and_fence_it_after_an_interrupt()
    {
        var (executorNode, runnerNode, otherNode) = (Cluster[2], Cluster[0], Cluster[1]);
        var sessionId = SessionsOn(runnerNode, 1, "cancel-executor")[0];
        var executor = ProbeOn(executorNode);
        var first = Send<Reserved>(executor, new Reserve(sessionId, Executor: executor.Ref));

        var newcomer = ProbeOn(otherNode);
        var second = Send<Reserved>(newcomer, new Reserve(sessionId, ConflictPolicy.Interrupt, newcomer.Ref));

        var signal = executor.ExpectMsg<CancelRun>(Remote);
        Assert.Equal(first.RunId, signal.RunId);
        Assert.Equal("interrupted", signal.Reason);
        // The interrupted executor's late words are fenced.
        var stale = Send<StaleRun>(executor, new Finalize(sessionId, first.RunId, RunOutcome.Completed));
        Assert.Equal(second.RunId, stale.CurrentRunId);
        executor.Send(executorNode.Runners, new Publish(sessionId, first.RunId, new TokenDelta("late")));
        Assert.Equal(second.RunId, executor.ExpectMsg<StaleRun>(Remote).CurrentRunId);
    }

    [Fact]
    public async Task Should_interrupt_a_lease_on_another_node_and_start_the_new_run_at_once()
    {
        var sessionId = SessionsOn(Cluster[1], 1, "interrupt")[0];
        await using var first = await Cluster[0].Client.ReserveAsync(sessionId);

        await using var second = await Cluster[2].Client.ReserveAsync(sessionId, new ReserveOptions { OnConflict = ConflictPolicy.Interrupt });

        Assert.Equal(LeaseStatus.Active, second.Status);
        await AwaitCancellation(first.CancellationToken, Remote);
        Assert.Equal("interrupted", first.CancellationReason);
        var late = await first.CompleteAsync();
        Assert.True(late.Fenced);
        Assert.Equal(RunStatus.Completed, (await second.CompleteAsync()).Status);
    }
}
