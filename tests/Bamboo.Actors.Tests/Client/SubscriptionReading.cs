using Akka.Actor;
using Akka.TestKit;
using Bamboo.Actors.Client;
using Bamboo.Actors.Events;

namespace Bamboo.Actors.Tests.Client;

/// <summary>What specs of client subscriptions do on both sides: deliver numbered events as a runner would, and read them.</summary>
internal static class SubscriptionReading
{
    /// <summary>Delivers token deltas numbered <paramref name="sequences"/> to <paramref name="subscriber"/> from <paramref name="runner"/>.</summary>
    public static void Send(IActorRef subscriber, TestProbe runner, params long[] sequences)
    {
        foreach (var sequence in sequences)
            subscriber.Tell(new TokenDelta($"t{sequence}") { SessionId = "s1", RunId = "run-1", Sequence = sequence }, runner.Ref);
    }

    /// <summary>Reads <paramref name="count"/> events (bounded by 10 s) and returns their sequences.</summary>
    public static async Task<List<long>> Read(IEventSubscription subscription, int count)
    {
        var read = new List<long>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (var evt in subscription.ReadAllAsync(timeout.Token))
        {
            read.Add(evt.Sequence);
            if (read.Count == count) break;
        }
        return read;
    }
}
