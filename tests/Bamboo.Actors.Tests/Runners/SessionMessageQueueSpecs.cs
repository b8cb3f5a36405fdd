using Akka.Actor;
using Akka.Configuration;
using Bamboo.Actors.Configuration;
using Bamboo.Actors.Runners;

namespace Bamboo.Actors.Tests.Runners;

public sealed class SessionMessageQueueSpecs
{
    [Fact]
    public void Should_be_empty_when_created()
    {
        var queue = new SessionMessageQueue();

        Assert.False(queue.HasMessages);
        Assert.Equal(0, queue.Count);
        Assert.False(queue.TryDequeue(out _));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(17)]
    [InlineData(1000)]
    public void Should_hand_out_messages_in_order_while_it_grows_and_wraps(int burst)
    {
        var queue = new SessionMessageQueue();
        var next = 0;
        var expected = 0;
        // Bursts interleaved with partial drains: the ring wraps, grows while wrapped, drains and is given back.
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < burst; i++) queue.Enqueue(ActorRefs.Nobody, new Envelope(next++, ActorRefs.NoSender));
            Assert.Equal(next - expected, queue.Count);
            for (var i = 0; i < burst / 2 + 1 && queue.TryDequeue(out var envelope); i++) Assert.Equal(expected++, envelope.Message);
        }
        while (queue.TryDequeue(out var envelope)) Assert.Equal(expected++, envelope.Message);

        Assert.Equal(next, expected);
        Assert.False(queue.HasMessages);
    }

    [Fact]
    public async Task Should_lose_nothing_and_keep_each_producers_order_under_concurrent_producers()
    {
        const int producers = 4;
        const int perProducer = 20_000;
        var queue = new SessionMessageQueue();
        var start = new ManualResetEventSlim();
        var sending = Enumerable.Range(0, producers).Select(p => Task.Run(() =>
        {
            start.Wait();
            for (var i = 0; i < perProducer; i++) queue.Enqueue(ActorRefs.Nobody, new Envelope((p, i), ActorRefs.NoSender));
        })).ToArray();
        var last = Enumerable.Repeat(-1, producers).ToArray();
        var received = 0;

        start.Set();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (received < producers * perProducer && DateTime.UtcNow < deadline)
        {
            if (!queue.TryDequeue(out var envelope))
            {
                await Task.Yield();
                continue;
            }
            var (producer, index) = ((int, int))envelope.Message;
            Assert.Equal(last[producer] + 1, index);
            last[producer] = index;
            received++;
        }
        await Task.WhenAll(sending);

        Assert.Equal(producers * perProducer, received);
        Assert.False(queue.HasMessages);
    }

    [Fact]
    public void Should_send_what_is_left_to_dead_letters_on_clean_up()
    {
        var queue = new SessionMessageQueue();
        var deadLetters = new SessionMessageQueue();
        queue.Enqueue(ActorRefs.Nobody, new Envelope("a", ActorRefs.NoSender));
        queue.Enqueue(ActorRefs.Nobody, new Envelope("b", ActorRefs.NoSender));

        queue.CleanUp(ActorRefs.Nobody, deadLetters);

        Assert.False(queue.HasMessages);
        Assert.True(deadLetters.TryDequeue(out var first));
        Assert.True(deadLetters.TryDequeue(out var second));
        Assert.Equal(("a", "b"), (first.Message, second.Message));
    }

    [Fact]
    public void Should_be_chosen_for_runners_of_a_system_with_the_librarys_defaults_only()
    {
        using var withDefaults = ActorSystem.Create("with-defaults", BambooConfig.Default);
        using var without = ActorSystem.Create("without", ConfigurationFactory.Empty);

        Assert.True(BambooConfig.RunnerSettings(withDefaults).SessionMailbox);
        Assert.False(BambooConfig.RunnerSettings(without).SessionMailbox);
    }
}
