using Akka.Actor;
using System.Diagnostics;
using Bamboo.Actors.Client;
using Bamboo.Actors.Cluster.Tests.Infrastructure;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Cluster.Tests.Scenarios;

/// <summary>
/// A node is cut off from the others without warning (<see cref="ClusterNode.CrashAsync"/>). The survivors must notice,
/// down it (Split Brain Resolver, keep-majority: 2 of 3 stay) and take over its sessions; nothing may stay running for
/// a process that is gone.
/// </summary>
public sealed class NodeCrashSpecs(ITestOutputHelper output) : OwnClusterSpec(output, ClusterProfile.Crashable)
{
    /// <summary>Crash to sessions served again took 10-12 s here; the bound leaves room for a loaded machine.</summary>
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Should_serve_the_sessions_of_a_crashed_node_from_the_survivors()
    {
        var victim = Cluster[2];
        var survivors = Cluster.Except(victim);
        var sessions = SessionsOn(victim, 5, "crash");
        // A lease on a survivor whose session runner lives on the victim, and a subscription that has read a run.
        await using var lease = await survivors[0].Client.ReserveAsync(sessions[0]);
        Assert.Equal(LeaseStatus.Active, lease.Status);
        using var timeout = new CancellationTokenSource(Recovery * 2);
        await using var subscription = await survivors[1].Client.OpenSubscriptionAsync(sessions[1], cancellationToken: timeout.Token);
        var events = subscription.ReadAllAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);
        var before = await survivors[0].Client.RunAsync(sessions[1], (run, _) => run.PublishAsync(new TokenDelta("before")).AsTask());
        Assert.Equal(before.RunId, (await ReadUntilFinished(events)).RunId);

        var clock = Stopwatch.StartNew();
        await victim.CrashAsync(survivors.Select(node => node.Address));

        await Eventually.TrueAsync(() => survivors.All(node => node.Cluster.State.Unreachable.Any(m => m.Address.Equals(victim.Address))),
            Recovery, "victim unreachable");
        var unreachable = clock.Elapsed;
        await Eventually.TrueAsync(() => survivors.All(node => node.Cluster.State.Members.All(m => !m.Address.Equals(victim.Address))),
            Recovery, "victim removed");
        var removed = clock.Elapsed;

        var served = new List<TimeSpan>();
        for (var i = 0; i < sessions.Count; i++)
        {
            var snapshot = await Eventually.AnswerAsync<RunnerSnapshot>(survivors[i % 2].Runners, new GetStatus(sessions[i]), Recovery);
            served.Add(clock.Elapsed);
            // A new incarnation on a survivor: the crashed node's memory of the session is gone.
            Assert.Equal(RunStatus.Pending, snapshot.Status);
            Assert.Contains(HostOf(sessions[i], survivors[0]), survivors);
        }

        // The lease's run went down with its runner: the lease is told instead of running for nobody.
        await AwaitCancellation(lease.CancellationToken, Recovery);
        Assert.Equal("session runner lost", lease.CancellationReason);
        Assert.True((await lease.CompleteAsync()).Fenced);

        // The sessions take new runs, and the subscription follows its session to its new node.
        var after = await survivors[0].Client.RunAsync(sessions[1], (run, _) => run.PublishAsync(new TokenDelta("after")).AsTask());
        Assert.Equal(RunStatus.Completed, after.Status);
        Assert.Equal(after.RunId, (await ReadUntilFinished(events)).RunId);
        foreach (var sessionId in sessions.Skip(2))
            Assert.IsType<Reserved>(await survivors[1].Runners.Ask<IRunnerReply>(new Reserve(sessionId), Remote));

        Note($"crash of {victim.Name}: unreachable after {unreachable.TotalSeconds:F1} s, downed and removed after " +
            $"{removed.TotalSeconds:F1} s, its sessions served again after {served.Min().TotalSeconds:F1}-{served.Max().TotalSeconds:F1} s");
    }

    [Fact]
    public async Task Should_end_a_run_as_executor_lost_when_the_executors_node_crashes()
    {
        var victim = Cluster[2];
        var (runnerNode, observerNode) = (Cluster[1], Cluster[0]);
        var sessionId = SessionsOn(runnerNode, 1, "executor-lost")[0];
        var subscriber = SubscriberOn(observerNode, sessionId);
        // The run's executor is the lease's actor on the victim.
        await using var lease = await victim.Client.ReserveAsync(sessionId);
        Assert.Equal(LeaseStatus.Active, lease.Status);
        ExpectEvent<ExecutionStarted>(subscriber, lease.RunId);

        var clock = Stopwatch.StartNew();
        await victim.CrashAsync(Cluster.Except(victim).Select(node => node.Address));

        var finished = ExpectEvent<ExecutionFinished>(subscriber, lease.RunId, Recovery);
        var ended = clock.Elapsed;
        Assert.Equal(RunStatus.Error, finished.Status);
        Assert.Equal("executor lost", finished.Error);
        var status = Assert.IsType<RunnerSnapshot>(await observerNode.Client.GetStatusAsync(sessionId));
        Assert.Equal(RunStatus.Error, status.Status);
        Assert.Equal("executor lost", status.Error);
        Assert.IsType<Reserved>(await observerNode.Runners.Ask<IRunnerReply>(new Reserve(sessionId), Remote));
        Note($"crash of {victim.Name}: its executor's run ended as executor lost after {ended.TotalSeconds:F1} s");
    }

    private static async Task<AgentEvent> ReadUntilFinished(IAsyncEnumerator<AgentEvent> events)
    {
        while (await events.MoveNextAsync())
            if (events.Current is ExecutionFinished) return events.Current;
        throw new InvalidOperationException("The subscription ended.");
    }
}
