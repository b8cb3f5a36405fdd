using Bamboo.Actors.Client;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Tests.Scenarios;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Client;

/// <summary>
/// An in-memory session's runner fails under a lease and a client subscription: the runner tells the lease as it goes
/// (its token fires), and the subscription goes on with the next incarnation after the last sequence it read — the
/// numbering never goes backwards, so nothing is replayed twice and no gap is reported.
/// </summary>
public sealed class ClientRunnerFailureSpecs(ITestOutputHelper output) : RunnerSpec(output)
{
    [Fact]
    public async Task Should_fire_the_lease_token_and_keep_the_subscription_going_after_the_last_sequence_read()
    {
        var client = new RunnerClient(Sys, Supervisor);
        await using var subscription = await client.OpenSubscriptionAsync("failing", afterSequence: 0);
        var lease = await client.ReserveAsync("failing");
        await lease.PublishAsync(new TokenDelta("before"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var events = subscription.ReadAllAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.IsType<ExecutionStarted>(await Next(events));
        Assert.IsType<TokenDelta>(await Next(events));

        // Watching this executor throws inside the runner: it fails and leaves, ending its run.
        Supervisor.Tell(new Reserve("failing", ConflictPolicy.Enqueue, new RunnerFailureSpecs.UnwatchableRef(Sys)), TestActor);
        ExpectMsg<Queued>();

        await Task.Delay(Timeout.InfiniteTimeSpan, lease.CancellationToken).ContinueWith(_ => { }).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.StartsWith("runner failed", lease.CancellationReason);
        Assert.IsType<ExecutionFinished>(await Next(events)); // the queued run, withdrawn
        var finished = Assert.IsType<ExecutionFinished>(await Next(events));
        Assert.Equal((lease.RunId, RunStatus.Error), (finished.RunId, finished.Status));
        Assert.True((await lease.CancelledAsync()).Fenced);

        // The next incarnation: the subscription follows it, from where it was.
        var next = await client.RunAsync("failing", (run, _) => run.PublishAsync(new TokenDelta("after")).AsTask());
        var started = await Next(events);
        Assert.Equal((next.RunId, typeof(ExecutionStarted)), (started.RunId, started.GetType()));
        Assert.True(started.Sequence > finished.Sequence, $"sequence {started.Sequence} after {finished.Sequence}");
        Assert.Equal("after", Assert.IsType<TokenDelta>(await Next(events)).Text);
        Assert.Equal(SubscriptionStatus.Live, subscription.Status);
    }

    private static async Task<AgentEvent> Next(IAsyncEnumerator<AgentEvent> events)
    {
        Assert.True(await events.MoveNextAsync(), "the subscription ended");
        // Replayed twice or a gap reported: either would show up here first.
        Assert.IsNotType<ReplayGap>(events.Current);
        return events.Current;
    }
}
