using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Cluster.Tests.Infrastructure;

/// <summary>
/// A scenario on a 3-node cluster, with probes that live on a chosen node and helpers that say which node hosts a
/// session's runner.
/// </summary>
public abstract class ClusterSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.test.single-expect-default = 10s"), output: output)
{
    /// <summary>Generous bound for anything that crosses nodes.</summary>
    protected static readonly TimeSpan Remote = TimeSpan.FromSeconds(10);

    /// <summary>The cluster under test.</summary>
    protected abstract TestCluster Cluster { get; }

    /// <summary>Writes a line to the test output.</summary>
    protected void Note(string line) => Output?.WriteLine(line);

    /// <summary>A probe living on <paramref name="node"/>.</summary>
    protected TestProbe ProbeOn(ClusterNode node) => CreateTestProbe(node.System);

    /// <summary>A session id no other scenario uses.</summary>
    protected static string NewSessionId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>
    /// Sends <paramref name="command"/> from <paramref name="probe"/> through the supervisor of the probe's own node and
    /// expects a <typeparamref name="T"/>. (A sender must live in the ActorSystem it sends from: a reference to an actor
    /// of another in-process node would be read as local to the receiving node and the reply lost.)
    /// </summary>
    protected T Send<T>(TestProbe probe, IRunnerCommand command)
    {
        NodeOf(probe).Runners.Tell(command, probe.Ref);
        return probe.ExpectMsg<T>(Remote);
    }

    /// <summary>Sends <paramref name="command"/> through <paramref name="via"/> from a new probe there and expects a
    /// <typeparamref name="T"/>.</summary>
    protected T Send<T>(ClusterNode via, IRunnerCommand command) => Send<T>(ProbeOn(via), command);

    /// <summary>The node <paramref name="probe"/> lives on.</summary>
    protected ClusterNode NodeOf(TestProbe probe) => Cluster.Nodes.Single(node => node.System == probe.Sys);

    /// <summary>The runner of <paramref name="sessionId"/> (created if needed) and the node hosting it.</summary>
    protected (IActorRef Runner, ClusterNode Host) RunnerOf(string sessionId, ClusterNode? via = null)
    {
        via ??= Cluster[0];
        var probe = ProbeOn(via);
        var snapshot = Send<RunnerSnapshot>(probe, new GetStatus(sessionId));
        Assert.Equal(sessionId, snapshot.SessionId);
        return (probe.LastSender, Cluster.NodeAt(probe.LastSender.Path.Address, via));
    }

    /// <summary>The node hosting <paramref name="sessionId"/>'s runner.</summary>
    protected ClusterNode HostOf(string sessionId, ClusterNode? via = null) => RunnerOf(sessionId, via).Host;

    /// <summary>Fresh session ids whose runners live on <paramref name="host"/>.</summary>
    protected List<string> SessionsOn(ClusterNode host, int count, string prefix)
    {
        var sessions = new List<string>();
        for (var attempt = 0; sessions.Count < count; attempt++)
        {
            Assert.True(attempt < 50 * count, $"no session of {host.Name} found in {attempt} tries");
            var sessionId = NewSessionId(prefix);
            if (HostOf(sessionId) == host) sessions.Add(sessionId);
        }
        return sessions;
    }

    /// <summary>A probe on <paramref name="node"/> subscribed to <paramref name="sessionId"/> through that node.</summary>
    protected TestProbe SubscriberOn(ClusterNode node, string sessionId, long? afterSequence = null)
    {
        var probe = ProbeOn(node);
        node.Runners.Tell(new Subscribe(sessionId, probe.Ref, afterSequence), probe.Ref);
        probe.ExpectMsg<Subscribed>(Remote);
        return probe;
    }

    /// <summary>Expects the next event on <paramref name="probe"/> to be a <typeparamref name="T"/>.</summary>
    protected static T ExpectEvent<T>(TestProbe probe, string? runId = null, TimeSpan? within = null) where T : AgentEvent
    {
        var evt = Assert.IsType<T>(probe.ExpectMsg<AgentEvent>(within ?? Remote));
        if (runId is not null) Assert.Equal(runId, evt.RunId);
        return evt;
    }

    /// <summary>Completes when <paramref name="token"/> fires; fails after <paramref name="timeout"/>.</summary>
    protected static async Task AwaitCancellation(CancellationToken token, TimeSpan timeout)
    {
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var registration = token.Register(() => fired.TrySetResult());
        await fired.Task.WaitAsync(timeout);
    }
}
