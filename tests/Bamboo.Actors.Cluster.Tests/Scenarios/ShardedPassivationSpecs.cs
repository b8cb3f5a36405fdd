using Bamboo.Actors.Cluster.Tests.Infrastructure;
using Bamboo.Actors.Protocol;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Cluster.Tests.Scenarios;

/// <summary>A cluster whose sessions passivate after half a second idle.</summary>
public sealed class QuickPassivationClusterFixture(IMessageSink diagnostics)
    : ClusterFixture(ClusterProfile.Stable with { Runners = o => o.IdleTimeout = TimeSpan.FromMilliseconds(500) }, diagnostics);

public sealed class ShardedPassivationSpecs(QuickPassivationClusterFixture fixture, ITestOutputHelper output)
    : FixtureClusterSpec(fixture, output), IClassFixture<QuickPassivationClusterFixture>
{
    [Fact]
    public void Should_passivate_an_idle_session_through_its_shard()
    {
        var sessionId = SessionsOn(Cluster[1], 1, "idle")[0];
        var probe = ProbeOn(Cluster[0]);
        var run = Send<Reserved>(probe, new Reserve(sessionId));
        Send<Finalized>(Cluster[2], new Finalize(sessionId, run.RunId, RunOutcome.Completed));
        var (runner, _) = RunnerOf(sessionId);

        probe.Watch(runner);
        probe.ExpectTerminated(runner, Remote);

        // The next command starts a new incarnation on the shard's node; the finished run is gone from memory.
        var (again, host) = RunnerOf(sessionId, Cluster[2]);
        Assert.Equal(Cluster[1], host);
        Assert.NotEqual(runner, again);
        Assert.Equal(RunStatus.Pending, Send<RunnerSnapshot>(probe, new GetStatus(sessionId)).Status);
    }

    [Fact]
    public void Should_not_passivate_a_session_with_an_active_run()
    {
        var sessionId = SessionsOn(Cluster[2], 1, "busy")[0];
        var probe = ProbeOn(Cluster[0]);
        var run = Send<Reserved>(probe, new Reserve(sessionId));
        var (runner, _) = RunnerOf(sessionId);
        probe.Watch(runner);

        probe.ExpectNoMsg(TimeSpan.FromSeconds(2));

        Assert.Equal(run.RunId, Send<RunnerSnapshot>(Cluster[1], new GetStatus(sessionId)).RunId);
        Send<Finalized>(Cluster[1], new Finalize(sessionId, run.RunId, RunOutcome.Completed));
        probe.ExpectTerminated(runner, Remote);
    }

    [Fact]
    public void Should_lose_no_command_sent_from_any_node_while_a_session_passivates()
    {
        var sessionId = SessionsOn(Cluster[1], 1, "flapping")[0];
        var watcher = ProbeOn(Cluster[0]);
        var senders = Cluster.Nodes.Select(node => (node, probe: ProbeOn(node))).ToList();

        for (var round = 0; round < 4; round++)
        {
            var (runner, _) = RunnerOf(sessionId);
            watcher.Watch(runner);
            watcher.ExpectTerminated(runner, Remote);
            // Commands from all three nodes race the next incarnation's start; each one must be answered.
            foreach (var (node, probe) in senders)
                for (var i = 0; i < 20; i++) node.Runners.Tell(new GetStatus(sessionId), probe.Ref);
            foreach (var (_, probe) in senders)
                for (var i = 0; i < 20; i++) probe.ExpectMsg<RunnerSnapshot>(Remote);
        }
    }
}
