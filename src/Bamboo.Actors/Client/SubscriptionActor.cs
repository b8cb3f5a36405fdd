using System.Threading.Channels;
using Akka.Actor;
using Bamboo.Actors.Events;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Client;

/// <summary>
/// Subscribes to one session and writes its events into a bounded channel. When the channel is full (the consumer is
/// too slow) or the session's runner stops (passivation race, shard hand-off, node loss) it completes the channel and
/// stops; the reader resubscribes from its last sequence (told first, through runnerLost, when the runner stopped).
/// </summary>
internal sealed class SubscriptionActor : ReceiveActor
{
    private readonly string _sessionId;
    private readonly ChannelWriter<AgentEvent> _writer;
    private IActorRef? _runner;

    public SubscriptionActor(string sessionId, long? afterSequence, IActorRef supervisor, ChannelWriter<AgentEvent> writer,
        TaskCompletionSource<long> subscribed, Action runnerLost)
    {
        _sessionId = sessionId;
        _writer = writer;

        Receive<Subscribed>(s =>
        {
            _runner = Sender;
            Context.Watch(_runner);
            subscribed.TrySetResult(s.LastSequence);
        });
        Receive<InvalidCommand>(invalid =>
        {
            subscribed.TrySetException(new ArgumentException(invalid.Reason));
            Context.Stop(Self);
        });
        Receive<AgentEvent>(evt =>
        {
            if (_writer.TryWrite(evt)) return;
            Context.Stop(Self);
        });
        Receive<Terminated>(t => t.ActorRef.Equals(_runner), _ =>
        {
            runnerLost();
            Context.Stop(Self);
        });
        ReceiveAny(_ => { });

        supervisor.Tell(new Subscribe(sessionId, Self, afterSequence), Self);
    }

    public static Props Props(string sessionId, long? afterSequence, IActorRef supervisor, ChannelWriter<AgentEvent> writer,
        TaskCompletionSource<long> subscribed, Action runnerLost) =>
        Akka.Actor.Props.Create(() => new SubscriptionActor(sessionId, afterSequence, supervisor, writer, subscribed, runnerLost));

    protected override void PostStop()
    {
        _runner?.Tell(new Unsubscribe(_sessionId, Self));
        _writer.TryComplete();
    }
}
