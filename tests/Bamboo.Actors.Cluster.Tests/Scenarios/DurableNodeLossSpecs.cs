using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Bamboo.Actors.Routing;
using Bamboo.Actors.Runners;
using Microsoft.Extensions.DependencyInjection;
using Bamboo.Actors.Client;
using Bamboo.Actors.Cluster.Tests.Infrastructure;
using Bamboo.Actors.Events;
using Bamboo.Actors.Hosting;
using Bamboo.Actors.Protocol;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Cluster.Tests.Scenarios;

/// <summary>
/// Durable sessions across node loss: the node hosting a session dies while the run's executor lives on another node.
/// The session is restarted on a survivor from the journal (remember-entities, no message needed), keeps its run, and
/// still refuses a second one — never two running runs in a session.
/// </summary>
public sealed class DurableNodeLossSpecs(ITestOutputHelper output)
    : OwnClusterSpec(output, DurableProfile(Path.Combine(Path.GetTempPath(), "bamboo-durable-cluster", Guid.NewGuid().ToString("N"))))
{
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(45);

    /// <summary>Crashable nodes whose sessions are durable in one SQLite database they all share (one machine).</summary>
    private static ClusterProfile DurableProfile(string folder) => ClusterProfile.Crashable with
    {
        Runners = options =>
        {
            options.Persistence.Mode = BambooPersistenceMode.Sqlite;
            options.Persistence.DataFolder = folder;
        },
    };

    [Fact]
    public async Task Should_keep_the_run_of_a_lost_node_and_refuse_a_second_run()
    {
        var victim = Cluster[2];
        var (executorNode, other) = (Cluster[0], Cluster[1]);
        var sessionId = SessionsOn(victim, 1, "durable-loss")[0];
        await using var lease = await executorNode.Client.ReserveAsync(sessionId);
        Assert.Equal(LeaseStatus.Active, lease.Status);

        await victim.CrashAsync([executorNode.Address, other.Address]);
        await Eventually.TrueAsync(() => other.Cluster.State.Members.All(m => !m.Address.Equals(victim.Address)), Recovery, "victim removed");

        // The session is back on a survivor with its run: a new reservation, through either survivor, is refused.
        var conflict = await Eventually.AnswerAsync<IRunnerReply>(other.Runners, new Reserve(sessionId), Recovery);
        Assert.Equal(lease.RunId, Assert.IsType<AlreadyRunning>(conflict).RunId);
        // The other survivor's region may still be learning where the shard went: it answers once it knows.
        var viaExecutorNode = await Eventually.AnswerAsync<IRunnerReply>(executorNode.Runners, new Reserve(sessionId), Recovery);
        Assert.Equal(lease.RunId, Assert.IsType<AlreadyRunning>(viaExecutorNode).RunId);
        Assert.NotEqual(victim, HostOf(sessionId, other));
        Assert.False(lease.CancellationToken.IsCancellationRequested);

        // Its executor, alive on another node, finishes it normally; then the session takes a new run.
        var result = await lease.CompleteAsync();
        Assert.Equal((RunStatus.Completed, false), (result.Status, result.Fenced));
        Assert.IsType<Reserved>(Send<IRunnerReply>(other, new Reserve(sessionId)));
    }

    [Fact]
    public async Task Should_answer_a_retried_start_with_its_first_run_after_the_node_hosting_the_session_was_lost()
    {
        var victim = Cluster[2];
        var (executorNode, other) = (Cluster[0], Cluster[1]);
        var sessionId = SessionsOn(victim, 1, "durable-retry")[0];
        var executor = ProbeOn(executorNode);
        Reserve Start() => new(sessionId, Executor: executor.Ref, IdempotencyKey: "start-1");
        var first = Send<Reserved>(executor, Start());

        await victim.CrashAsync([executorNode.Address, other.Address]);
        await Eventually.TrueAsync(() => other.Cluster.State.Members.All(m => !m.Address.Equals(victim.Address)), Recovery, "victim removed");

        // A client that never heard the answer retries the same start through a survivor: it gets the first run, marked
        // as a replay, and no second run starts.
        var retry = Assert.IsType<Reserved>(await Eventually.AnswerAsync<IRunnerReply>(other.Runners, Start(), Recovery));
        Assert.Equal((first.RunId, true), (retry.RunId, retry.Replayed));
        Assert.NotEqual(victim, HostOf(sessionId, other));
        var status = Send<RunnerSnapshot>(executorNode, new GetStatus(sessionId));
        Assert.Equal((RunStatus.Running, first.RunId), (status.Status, status.RunId));
    }

    [Fact]
    public async Task Should_restart_a_session_with_an_active_run_on_a_survivor_without_waiting_for_a_message()
    {
        var victim = Cluster[2];
        var (executorNode, other) = (Cluster[0], Cluster[1]);
        var sessionId = SessionsOn(victim, 1, "durable-restart")[0];
        var executor = ProbeOn(executorNode);
        var run = Send<Reserved>(executor, new Reserve(sessionId, Executor: executor.Ref));
        var finishedOn = new[] { executorNode, other }.Select(node =>
        {
            var listener = ProbeOn(node);
            node.System.EventStream.Subscribe(listener.Ref, typeof(ExecutionFinished));
            return listener;
        }).ToList();

        await victim.CrashAsync([executorNode.Address, other.Address]);
        await Eventually.TrueAsync(() => other.Cluster.State.Members.All(m => !m.Address.Equals(victim.Address)), Recovery, "victim removed");
        // The coordinator restarts the remembered session on a survivor; nothing is sent to the session meanwhile (the
        // shard regions are only asked which entities they hold).
        var entityId = SessionIds.ToEntityId(sessionId);
        await Eventually.TrueAsync(() => new[] { executorNode, other }.Any(node => Holds(node, entityId)), Recovery, "session restarted");

        executorNode.System.Stop(executor.Ref);

        // Only a runner that was restarted on its own, and watches the executor again, can notice it die.
        var finished = await Task.WhenAny(finishedOn.Select(listener => Task.Run(() => listener.ExpectMsg<ExecutionFinished>(
            e => e.RunId == run.RunId, Recovery))));
        var ended = await finished;
        Assert.Equal(RunStatus.Error, ended.Status);
        Assert.Contains(ended.Error, new[] { "executor lost", "lost on restart" });
        Assert.IsType<Reserved>(Send<IRunnerReply>(other, new Reserve(sessionId)));
    }

    private static bool Holds(ClusterNode node, string entityId)
    {
        var region = node.Host.Services.GetRequiredService<IRequiredActor<SessionRunner>>().ActorRef;
        var state = region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();
        return state.Shards.Any(shard => shard.EntityIds.Contains(entityId));
    }
}
