using Akka.Actor;

namespace Bamboo.Actors.Benchmarks.Targets;

/// <summary>
/// (e) The raw Akka.NET ceiling: the same message pattern as (a) with no logic. An entry actor forwards each message to
/// one of <c>sessions</c> plain child actors (array index, no name lookup, no validation); a child answers requests
/// with a constant and drops the rest. Per cycle, exactly as (a): ask → entry → child → reply, three tells → entry →
/// child, ask → entry → child → reply (12 messages, 2 temporary ask actors).
/// </summary>
public sealed class RawAkkaTarget : ILifecycleTarget
{
    private readonly ActorSystem _system;
    private readonly IActorRef _entry;
    private readonly Dictionary<string, int> _index;
    private readonly TimeSpan _askTimeout;

    private RawAkkaTarget(string[] sessionIds, TimeSpan askTimeout)
    {
        _system = BenchSystems.CreatePlain("bench-raw");
        _index = sessionIds.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i);
        _entry = _system.ActorOf(Props.Create(() => new Entry(sessionIds.Length)), "entry");
        _askTimeout = askTimeout;
    }

    /// <inheritdoc />
    public string Name => "(e) raw Akka ceiling";

    /// <summary>Creates the entry actor and its children.</summary>
    public static RawAkkaTarget Create(string[] sessionIds, TimeSpan askTimeout) => new(sessionIds, askTimeout);

    /// <inheritdoc />
    public async ValueTask<object?> ReserveAsync(string sessionId)
    {
        var session = _index[sessionId];
        var reply = await _entry.Ask<object>(new Message(session, true), _askTimeout).ConfigureAwait(false);
        return reply == Ack.Instance ? session : null;
    }

    /// <inheritdoc />
    public async ValueTask<bool> CompleteAsync(object handle)
    {
        var session = (int)handle;
        for (var i = 0; i < 3; i++) _entry.Tell(new Message(session, false));
        var reply = await _entry.Ask<object>(new Message(session, true), _askTimeout).ConfigureAwait(false);
        return reply == Ack.Instance;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await BenchSystems.TerminateAsync(_system).ConfigureAwait(false);

    private sealed record Message(int Session, bool Request);

    private sealed class Ack
    {
        public static readonly Ack Instance = new();
    }

    private sealed class Entry : UntypedActor
    {
        private readonly IActorRef[] _children;

        public Entry(int sessions)
        {
            _children = new IActorRef[sessions];
            for (var i = 0; i < sessions; i++) _children[i] = Context.ActorOf(Props.Create<Child>(), i.ToString());
        }

        protected override void OnReceive(object message)
        {
            if (message is Message m) _children[m.Session].Forward(m);
        }
    }

    private sealed class Child : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            if (message is Message { Request: true }) Sender.Tell(Ack.Instance);
        }
    }
}
