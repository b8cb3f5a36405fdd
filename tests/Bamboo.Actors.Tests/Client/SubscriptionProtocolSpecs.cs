using Akka.Actor;
using Bamboo.Actors.Client;
using Bamboo.Actors.Events;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;
using static Bamboo.Actors.Tests.Client.SubscriptionReading;

namespace Bamboo.Actors.Tests.Client;

/// <summary>
/// A subscription's actor against a session played by the spec (a 4-event buffer): it keeps its cursor when it has to
/// subscribe again — after its runner stopped, after a slow reader caught up — and its reader sees one stream without
/// gaps or repeats.
/// </summary>
public sealed class SubscriptionProtocolSpecs(ITestOutputHelper output) : FakeSessionSpec(output, subscriptionBuffer: 4)
{
    [Fact]
    public async Task Should_be_live_once_the_session_answers()
    {
        var opening = Client.OpenSubscriptionAsync("s1", afterSequence: 3);
        var subscribe = await Session.ExpectMsgAsync<Subscribe>();
        Assert.Equal(3, subscribe.AfterSequence);
        subscribe.Subscriber.Tell(new Subscribed("s1", 7), Runner.Ref);

        await using var subscription = await opening;

        Assert.Equal((SubscriptionStatus.Live, 7L), (subscription.Status, subscription.LastSequence));
        Send(subscribe.Subscriber, 4, 5);
        Assert.Equal([4L, 5], await Read(subscription, 2));
    }

    [Fact]
    public async Task Should_be_unavailable_without_throwing_when_no_subscription_is_answered()
    {
        var opening = Client.OpenSubscriptionAsync("s1");
        for (var attempt = 0; attempt < 3; attempt++) await Session.ExpectMsgAsync<Subscribe>();

        await using var subscription = await opening.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal((SubscriptionStatus.Unavailable, RunnerClient.NoAnswer), (subscription.Status, subscription.Reason));
        Assert.False(await subscription.WaitToReadAsync());
        await foreach (var _ in Client.SubscribeAsync("bad\nid")) Assert.Fail("an invalid subscription yields nothing");
    }

    [Fact]
    public async Task Should_subscribe_again_after_the_last_sequence_when_its_runner_stops()
    {
        var (subscription, subscriber) = await OpenAsync();
        Send(subscriber, 1, 2, 3);
        Assert.Equal([1L, 2, 3], await Read(subscription, 3));

        Sys.Stop(Runner.Ref);

        // The cursor is kept: the session's numbering never goes backwards, whichever incarnation answers.
        var again = await Session.ExpectMsgAsync<Subscribe>();
        Assert.Equal(3, again.AfterSequence);
        var next = CreateTestProbe();
        subscriber.Tell(new Subscribed("s1", 3), next.Ref);
        SubscriptionReading.Send(subscriber, next, 4, 5);
        Assert.Equal([4L, 5], await Read(subscription, 2));
        Assert.Equal(SubscriptionStatus.Live, subscription.Status);
    }

    [Fact]
    public async Task Should_subscribe_a_slow_reader_again_after_its_cursor_once_it_has_caught_up()
    {
        var (subscription, subscriber) = await OpenAsync();

        // Six events for a four-event buffer, before the reader reads anything.
        Send(subscriber, 1, 2, 3, 4, 5, 6);
        var unsubscribe = await Runner.ExpectMsgAsync<Unsubscribe>();
        Assert.Equal(subscriber, unsubscribe.Subscriber);
        Runner.Reply(new Unsubscribed("s1"));
        await Session.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));

        // Half the buffer read: it subscribes again after the last event it could keep.
        Assert.Equal([1L, 2], await Read(subscription, 2));
        var again = await Session.ExpectMsgAsync<Subscribe>();
        Assert.Equal(4, again.AfterSequence);
        subscriber.Tell(new Subscribed("s1", 6), Runner.Ref);
        Send(subscriber, 5, 6, 7);

        Assert.Equal([3L, 4, 5, 6, 7], await Read(subscription, 5));
    }

    [Fact]
    public async Task Should_not_repeat_events_when_two_subscriptions_are_answered()
    {
        var opening = Client.OpenSubscriptionAsync("s1", afterSequence: 0);
        var first = await Session.ExpectMsgAsync<Subscribe>();
        // The first answer is late: the subscription is sent again, then both are answered, each with its replay.
        await Session.ExpectMsgAsync<Subscribe>();
        first.Subscriber.Tell(new Subscribed("s1", 2), Runner.Ref);
        Send(first.Subscriber, 1, 2);
        first.Subscriber.Tell(new Subscribed("s1", 2), Runner.Ref);
        Send(first.Subscriber, 1, 2, 3);

        await using var subscription = await opening;

        Assert.Equal([1L, 2, 3], await Read(subscription, 3));
        Assert.False(subscription.TryRead(out _));
    }

    [Fact]
    public async Task Should_end_its_stream_once_disposed()
    {
        var (subscription, subscriber) = await OpenAsync();
        Watch(subscriber);

        await subscription.DisposeAsync();

        Assert.False(await subscription.WaitToReadAsync());
        await ExpectTerminatedAsync(subscriber);
        Assert.Equal(SubscriptionStatus.Live, subscription.Status);
    }

    private async Task<(IEventSubscription Subscription, IActorRef Subscriber)> OpenAsync()
    {
        var opening = Client.OpenSubscriptionAsync("s1");
        var subscribe = await Session.ExpectMsgAsync<Subscribe>();
        subscribe.Subscriber.Tell(new Subscribed("s1", 0), Runner.Ref);
        return (await opening, subscribe.Subscriber);
    }

    private void Send(IActorRef subscriber, params long[] sequences) => SubscriptionReading.Send(subscriber, Runner, sequences);
}
