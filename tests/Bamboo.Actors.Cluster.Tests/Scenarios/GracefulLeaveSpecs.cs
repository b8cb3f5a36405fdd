using Akka.Actor;
using System.Diagnostics;
using Akka.Cluster;
using Bamboo.Actors.Cluster.Tests.Infrastructure;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.ExecutorSignals;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Cluster.Tests.Scenarios;

public sealed class GracefulLeaveSpecs(ITestOutputHelper output)
    : OwnClusterSpec(output, ClusterProfile.Stable with { Runners = options => options.ShutdownGrace = Grace })
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Should_hand_the_sessions_of_a_leaving_node_to_the_survivors()
    {
        var leaving = Cluster[2];
        var survivors = Cluster.Except(leaving);
        var sessions = SessionsOn(leaving, 4, "handoff");
        // One of them has an active run, with its executor and a subscriber on a surviving node.
        var busy = sessions[0];
        var executor = ProbeOn(survivors[0]);
        var run = Send<Reserved>(executor, new Reserve(busy, Executor: executor.Ref));
        var subscriber = SubscriberOn(survivors[1], busy);
        ExpectEvent<ExecutionStarted>(subscriber, run.RunId);

        var clock = Stopwatch.StartNew();
        await leaving.LeaveAsync();
        var left = clock.Elapsed;

        // The leaving node drains its sessions before it hands them off: the run is asked to cancel and, as its executor
        // does not finalize within the grace, ends as "shutdown", its executor told, never silently dropped.
        Assert.Equal((run.RunId, "shutting down"), executor.ExpectMsg<CancelRun>(Remote) is var cancel ? (cancel.RunId, cancel.Reason) : default);
        Assert.Equal("shutting down", ExpectEvent<RunCancelling>(subscriber, run.RunId).Reason);
        Assert.Equal((run.RunId, RunnerSupervisor.ShutdownError), executor.ExpectMsg<CancelRun>(Remote) is var end ? (end.RunId, end.Reason) : default);
        var finished = ExpectEvent<ExecutionFinished>(subscriber, run.RunId);
        Assert.Equal((RunStatus.Error, RunnerSupervisor.ShutdownError), (finished.Status, finished.Error));

        // The survivors serve every session of the node that left, and accept new runs for them.
        foreach (var sessionId in sessions)
        {
            var snapshot = await Eventually.AnswerAsync<RunnerSnapshot>(survivors[0].Runners, new GetStatus(sessionId), Remote);
            Assert.Equal(RunStatus.Pending, snapshot.Status);
            var host = HostOf(sessionId, survivors[0]);
            Assert.Contains(host, survivors);
            var reserved = await survivors[1].Runners.Ask<IRunnerReply>(new Reserve(sessionId), Remote);
            Assert.IsType<Reserved>(reserved);
        }
        var served = clock.Elapsed;
        Note($"graceful leave: node stopped after {left.TotalMilliseconds:F0} ms, its {sessions.Count} sessions " +
            $"served by the survivors after {served.TotalMilliseconds:F0} ms");
        await AwaitAssertAsync(() => Assert.All(survivors, node =>
            Assert.Equal(2, node.Cluster.State.Members.Count(m => m.Status == MemberStatus.Up))), Remote);
    }
}
