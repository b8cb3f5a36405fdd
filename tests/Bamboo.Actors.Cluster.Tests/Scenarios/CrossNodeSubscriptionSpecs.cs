using Bamboo.Actors.Client;
using Bamboo.Actors.Cluster.Tests.Infrastructure;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Xunit.Abstractions;

namespace Bamboo.Actors.Cluster.Tests.Scenarios;

public sealed class CrossNodeSubscriptionSpecs(SharedClusterFixture fixture, ITestOutputHelper output) : SharedClusterSpec(fixture, output)
{
    [Fact]
    public async Task Should_deliver_every_event_in_order_to_a_subscriber_on_another_node()
    {
        // Runner on one node, subscriber on a second, the run's executor on the third.
        var (subscriberNode, runnerNode, executorNode) = (Cluster[0], Cluster[1], Cluster[2]);
        var sessionId = SessionsOn(runnerNode, 1, "subscribe")[0];
        var subscriber = SubscriberOn(subscriberNode, sessionId);

        await using var lease = await executorNode.Client.ReserveAsync(sessionId);
        Assert.Equal(LeaseStatus.Active, lease.Status);
        await lease.PublishAsync(new ToolStarted("search"));
        for (var i = 0; i < 20; i++) await lease.PublishAsync(new TokenDelta($"t{i} "));
        await lease.PublishAsync(new ToolLifecycle("search", ToolPhase.Finished));
        await lease.PublishAsync(new RunnerProgress(1));
        var result = await lease.CompleteAsync();
        Assert.Equal(RunStatus.Completed, result.Status);

        var events = new List<AgentEvent> { ExpectEvent<ExecutionStarted>(subscriber, lease.RunId) };
        events.Add(ExpectEvent<ToolStarted>(subscriber, lease.RunId));
        for (var i = 0; i < 20; i++) Assert.Equal($"t{i} ", Assert.IsType<TokenDelta>(Add(ExpectEvent<TokenDelta>(subscriber))).Text);
        events.Add(ExpectEvent<ToolLifecycle>(subscriber, lease.RunId));
        events.Add(ExpectEvent<RunnerProgress>(subscriber, lease.RunId));
        var finished = ExpectEvent<ExecutionFinished>(subscriber, lease.RunId);
        events.Add(finished);
        Assert.Equal(RunStatus.Completed, finished.Status);

        // Sequences are stamped by the runner: one per event, no gap, no repeat.
        var sequences = events.Select(e => e.Sequence).Order().ToList();
        Assert.Equal(Enumerable.Range((int)sequences[0], sequences.Count).Select(s => (long)s), sequences);
        Assert.All(events, e => Assert.Equal(sessionId, e.SessionId));
        return;

        AgentEvent Add(AgentEvent evt)
        {
            events.Add(evt);
            return evt;
        }
    }

    [Fact]
    public async Task Should_stream_a_run_on_another_node_through_IRunnerClient()
    {
        var sessionId = SessionsOn(Cluster[2], 1, "stream")[0];
        using var timeout = new CancellationTokenSource(Remote * 2);
        await using var subscription = await Cluster[0].Client.OpenSubscriptionAsync(sessionId, cancellationToken: timeout.Token);

        var result = await Cluster[1].Client.RunAsync(sessionId, async (run, _) =>
        {
            foreach (var word in new[] { "one", "two", "three" }) await run.PublishAsync(new TokenDelta(word));
            await run.PublishAsync(new RunnerProgress(1));
        }, cancellationToken: timeout.Token);
        Assert.Equal(RunStatus.Completed, result.Status);

        var events = new List<AgentEvent>();
        await foreach (var evt in subscription.ReadAllAsync(timeout.Token))
        {
            events.Add(evt);
            if (evt is ExecutionFinished) break;
        }

        Assert.Equal(["ExecutionStarted", "TokenDelta", "TokenDelta", "TokenDelta", "RunnerProgress", "ExecutionFinished"],
            events.Select(e => e.GetType().Name));
        Assert.Equal(["one", "two", "three"], events.OfType<TokenDelta>().Select(d => d.Text));
        Assert.Equal(events.Select(e => e.Sequence).Order(), events.Select(e => e.Sequence));
        Assert.All(events, e => Assert.Equal(result.RunId, e.RunId));
    }

    [Fact]
    public async Task Should_replay_a_finished_run_to_a_late_subscriber_on_another_node()
    {
        var sessionId = SessionsOn(Cluster[1], 1, "replay")[0];
        var result = await Cluster[2].Client.RunAsync(sessionId, async (run, _) =>
        {
            await run.PublishAsync(new ToolStarted("lookup"));
            await run.PublishAsync(new TokenDelta("answer"));
        });
        Assert.Equal(RunStatus.Completed, result.Status);

        var subscriber = SubscriberOn(Cluster[0], sessionId, afterSequence: 0);

        ExpectEvent<ExecutionStarted>(subscriber, result.RunId);
        ExpectEvent<ToolStarted>(subscriber, result.RunId);
        Assert.Equal("answer", ExpectEvent<TokenDelta>(subscriber, result.RunId).Text);
        Assert.Equal(RunStatus.Completed, ExpectEvent<ExecutionFinished>(subscriber, result.RunId).Status);
    }
}
