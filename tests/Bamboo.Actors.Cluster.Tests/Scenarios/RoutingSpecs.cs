using Akka.Actor;
using Bamboo.Actors.Cluster.Tests.Infrastructure;
using Bamboo.Actors.Protocol;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Cluster.Tests.Scenarios;

public sealed class RoutingSpecs(SharedClusterFixture fixture, ITestOutputHelper output) : SharedClusterSpec(fixture, output)
{
    [Fact]
    public void Should_spread_sessions_over_every_node_and_reach_each_from_any_node()
    {
        var sessions = Enumerable.Range(0, 30).Select(_ => NewSessionId("spread")).ToList();

        var hosts = new Dictionary<string, ClusterNode>();
        foreach (var sessionId in sessions)
        {
            // The same session asked through each node is answered by one runner, on one node.
            var seen = Cluster.Nodes.Select(via => RunnerOf(sessionId, via)).ToList();
            Assert.Single(seen.Select(s => s.Host).Distinct());
            Assert.Single(seen.Select(s => s.Runner.Path.ToStringWithoutAddress()).Distinct());
            hosts[sessionId] = seen[0].Host;
        }

        Note(string.Join(", ", hosts.Values.GroupBy(h => h.Name).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()} sessions")));
        Assert.Equal(Cluster.Nodes.Count, hosts.Values.Distinct().Count());
    }

    [Fact]
    public void Should_show_a_run_reserved_through_one_node_to_every_node()
    {
        var sessionId = NewSessionId("one-runner");
        var probe = ProbeOn(Cluster[0]);

        var run = Send<Reserved>(probe, new Reserve(sessionId));

        foreach (var via in Cluster.Nodes)
        {
            var status = Send<RunnerSnapshot>(via, new GetStatus(sessionId));
            Assert.Equal(RunStatus.Running, status.Status);
            Assert.Equal(run.RunId, status.RunId);
        }
        var conflict = Send<AlreadyRunning>(Cluster[2], new Reserve(sessionId));
        Assert.Equal(run.RunId, conflict.RunId);
        var finalized = Send<Finalized>(Cluster[1], new Finalize(sessionId, run.RunId, RunOutcome.Completed));
        Assert.Equal(RunStatus.Completed, finalized.Status);
    }

    [Fact]
    public async Task Should_grant_exactly_one_run_when_three_nodes_reserve_a_session_at_once()
    {
        var sessions = Enumerable.Range(0, 10).Select(_ => NewSessionId("race")).ToList();

        // Every node fires 4 reservations per session, all at once.
        var attempts = sessions.SelectMany(sessionId => Cluster.Nodes.SelectMany(via => Enumerable.Range(0, 4)
            .Select(async _ => (sessionId, reply: await via.Runners.Ask<IRunnerReply>(new Reserve(sessionId), Remote)))))
            .ToList();
        var replies = await Task.WhenAll(attempts);

        foreach (var group in replies.GroupBy(r => r.sessionId, r => r.reply))
        {
            var granted = Assert.Single(group.OfType<Reserved>());
            var refused = group.Where(r => r is not Reserved).ToList();
            Assert.Equal(11, refused.Count);
            Assert.All(refused, r => Assert.Equal(granted.RunId, Assert.IsType<AlreadyRunning>(r).RunId));

            var status = Assert.IsType<RunnerSnapshot>(await Cluster[1].Client.GetStatusAsync(group.Key));
            Assert.Equal(RunStatus.Running, status.Status);
            Assert.Equal(granted.RunId, status.RunId);
        }
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("$x")]
    [InlineData("..")]
    [InlineData(" spaced out ")]
    [InlineData("emoji-🎋-🐼")]
    [InlineData("名前")]
    public void Should_route_an_odd_session_id_to_one_runner_from_every_node(string prefix)
    {
        var sessionId = prefix + Guid.NewGuid().ToString("N")[..8];
        var run = Send<Reserved>(Cluster[2], new Reserve(sessionId));

        foreach (var via in Cluster.Nodes)
        {
            var status = Send<RunnerSnapshot>(via, new GetStatus(sessionId));
            Assert.Equal(sessionId, status.SessionId);
            Assert.Equal(run.RunId, status.RunId);
        }
        // Case variants are other sessions, wherever they live.
        Assert.Equal(RunStatus.Pending, Send<RunnerSnapshot>(Cluster[0], new GetStatus(sessionId.ToUpperInvariant() + "!")).Status);
    }

    [Fact]
    public void Should_answer_InvalidCommand_on_the_node_that_received_it()
    {
        var probe = ProbeOn(Cluster[1]);
        Cluster[1].Runners.Tell(new Reserve(""), probe.Ref);

        probe.ExpectMsg<InvalidCommand>(Remote);
        Assert.True(probe.LastSender.Path.Address.HasLocalScope);
        Assert.Equal(Cluster[1].Runners, probe.LastSender);
    }
}
