using System.Collections.Concurrent;
using Akka.Actor;
using Bamboo.Actors.Events;

namespace Bamboo.Actors.Tests.Persistence;

/// <summary>A subscriber actor outside any TestKit: collects the events it is sent.</summary>
public sealed class EventCollector : IAsyncDisposable
{
    private readonly BlockingCollection<AgentEvent> _events = new();
    private readonly ActorSystem _system;

    public EventCollector(DurableSystem system)
    {
        _system = system.System;
        Ref = _system.ActorOf(Props.Create(() => new Collector(_events)));
    }

    public IActorRef Ref { get; }

    /// <summary>The next <paramref name="count"/> events (waits up to 10 s for each).</summary>
    public List<AgentEvent> Take(int count)
    {
        var taken = new List<AgentEvent>();
        for (var i = 0; i < count; i++)
        {
            Assert.True(_events.TryTake(out var evt, TimeSpan.FromSeconds(10)),
                $"only {taken.Count} of {count} events arrived: {string.Join(", ", taken)}");
            taken.Add(evt!);
        }
        return taken;
    }

    public ValueTask DisposeAsync()
    {
        _system.Stop(Ref);
        return ValueTask.CompletedTask;
    }

    private sealed class Collector : ReceiveActor
    {
        public Collector(BlockingCollection<AgentEvent> events) => Receive<AgentEvent>(events.Add);
    }
}
