using Bamboo.Actors.Client;
using Bamboo.Actors.Events;

namespace Bamboo.Actors.Hosting.Tests;

public sealed class ClientSubscriptionSpecs(ITestOutputHelper output)
    : BambooHostingSpec(output, o => { o.SubscriptionBuffer = 4; o.EventRetention = 50; })
{
    [Fact]
    public async Task Should_replay_critical_events_to_a_late_subscriber_then_follow_live()
    {
        await using var lease = await Client.ReserveAsync("s1", cancellationToken: TestTimeout());
        await lease.PublishAsync(new TokenDelta("not replayed"));
        await lease.PublishAsync(new ToolStarted("search"));

        await using var subscription = await Client.OpenSubscriptionAsync("s1", cancellationToken: TestTimeout());
        await lease.PublishAsync(new TokenDelta("live"));

        var events = await Take(subscription, 3);
        Assert.Equal([1L, 3, 4], events.Select(e => e.Sequence));
        Assert.Equal("live", Assert.IsType<TokenDelta>(events[2]).Text);
    }

    [Fact]
    public async Task Should_resume_from_a_cursor()
    {
        await using var lease = await Client.ReserveAsync("s1", cancellationToken: TestTimeout());
        for (var i = 0; i < 5; i++) await lease.PublishAsync(new TokenDelta($"t{i}"));   // sequences 2..6
        await StatusAsync("s1");

        var events = await Take(Client.SubscribeAsync("s1", afterSequence: 4, TestTimeout()), 2);

        Assert.Equal([5L, 6], events.Select(e => e.Sequence));
    }

    [Fact]
    public async Task Should_resubscribe_a_slow_consumer_without_losing_retained_events()
    {
        await using var lease = await Client.ReserveAsync("s1", cancellationToken: TestTimeout());
        await using var subscription = await Client.OpenSubscriptionAsync("s1", afterSequence: 0, TestTimeout());

        // Far more than the 4-event buffer, published before the consumer reads anything.
        for (var i = 0; i < 30; i++) await lease.PublishAsync(new TokenDelta($"t{i}"));
        await StatusAsync("s1");

        var events = await Take(subscription, 31);
        Assert.Equal(Enumerable.Range(1, 31).Select(i => (long)i), events.Select(e => e.Sequence));
        Assert.DoesNotContain(events, e => e is ReplayGap);
    }

    [Fact]
    public async Task Should_mark_a_gap_when_a_slow_consumer_fell_behind_the_retention()
    {
        await using var lease = await Client.ReserveAsync("s1", cancellationToken: TestTimeout());
        await using var subscription = await Client.OpenSubscriptionAsync("s1", afterSequence: 0, TestTimeout());

        for (var i = 0; i < 80; i++) await lease.PublishAsync(new TokenDelta($"t{i}"));   // retention keeps the last 50
        await StatusAsync("s1");

        var events = await Take(subscription, 4 + 1 + 50);
        Assert.Equal([1L, 2, 3, 4], events.Take(4).Select(e => e.Sequence));
        var gap = Assert.IsType<ReplayGap>(events[4]);
        Assert.Equal((5L, 31L), (gap.FromSequence, gap.ToSequence));
        Assert.Equal(Enumerable.Range(32, 50).Select(i => (long)i), events.Skip(5).Select(e => e.Sequence));
    }

    private static Task<List<AgentEvent>> Take(IEventSubscription subscription, int count) =>
        Take(subscription.ReadAllAsync(TestTimeout()), count);

    private static async Task<List<AgentEvent>> Take(IAsyncEnumerable<AgentEvent> events, int count)
    {
        var taken = new List<AgentEvent>();
        await foreach (var evt in events)
        {
            taken.Add(evt);
            if (taken.Count == count) break;
        }
        return taken;
    }
}
