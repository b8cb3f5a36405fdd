using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace Bamboo.Actors.Runners;

/// <summary>
/// The mailbox of in-memory session runners: an unbounded queue that costs a few dozen bytes while the session is idle.
/// Akka's default queue (a <c>ConcurrentQueue</c>) allocates a 32-slot segment up front and keeps it for the actor's
/// life, about 1 KB per session; a live idle session is mostly that. Registered under <see cref="ConfigPath"/> by the
/// library's defaults (<c>hocon/bamboo.conf</c>); a system whose configuration lacks it runs its runners on the default
/// mailbox.
/// </summary>
public sealed class SessionMailbox(Settings settings, Config config) : MailboxType(settings, config), IProducesMessageQueue<SessionMessageQueue>
{
    /// <summary>Where the mailbox is configured.</summary>
    public const string ConfigPath = "bamboo.session-mailbox";

    /// <inheritdoc />
    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new SessionMessageQueue();

    /// <summary><see cref="ConfigPath"/> when <paramref name="system"/>'s configuration registers the mailbox, else null.</summary>
    public static string? For(ActorSystem system) => system.Settings.Config.HasPath(ConfigPath + ".mailbox-type") ? ConfigPath : null;
}

/// <summary>
/// An unbounded multi-producer, single-consumer queue of envelopes in a ring that grows on demand (4 slots at first)
/// and is given back once a burst has drained, guarded by a lock on itself (the owner's mailbox is its only user). A
/// dequeued slot is cleared at once, so an idle session holds no message it has already handled.
/// </summary>
public sealed class SessionMessageQueue : IMessageQueue, IUnboundedMessageQueueSemantics
{
    private const int InitialCapacity = 4;
    private const int KeptCapacity = 16; // a ring larger than this is given back when it drains

    private Envelope[] _items = [];
    private int _head;
    private volatile int _count;

    /// <inheritdoc />
    public bool HasMessages => _count > 0;

    /// <inheritdoc />
    public int Count => _count;

    /// <inheritdoc />
    public void Enqueue(IActorRef receiver, Envelope envelope)
    {
        lock (this)
        {
            var items = _items;
            if (_count == items.Length) items = Grow();
            items[(_head + _count) % items.Length] = envelope;
            _count++;
        }
    }

    /// <inheritdoc />
    public bool TryDequeue(out Envelope envelope)
    {
        if (_count == 0)
        {
            envelope = default;
            return false;
        }
        lock (this)
        {
            if (_count == 0)
            {
                envelope = default;
                return false;
            }
            var items = _items;
            envelope = items[_head];
            items[_head] = default;
            _head = (_head + 1) % items.Length;
            _count--;
            if (_count == 0)
            {
                _head = 0;
                if (items.Length > KeptCapacity) _items = new Envelope[InitialCapacity];
            }
            return true;
        }
    }

    /// <inheritdoc />
    public void CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        while (TryDequeue(out var envelope)) deadletters.Enqueue(owner, envelope);
    }

    private Envelope[] Grow()
    {
        var next = new Envelope[Math.Max(InitialCapacity, _items.Length * 2)];
        for (var i = 0; i < _count; i++) next[i] = _items[(_head + i) % _items.Length];
        _items = next;
        _head = 0;
        return next;
    }
}
