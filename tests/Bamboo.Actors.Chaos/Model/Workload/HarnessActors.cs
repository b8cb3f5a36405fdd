using Akka.Actor;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.ExecutorSignals;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Chaos.Model.Workload;

/// <summary>
/// Sends one command to a node's supervisor as its sender and hands over the first answer with the actor that sent it
/// (so the history says which node's runner answered); answers that come later — a queued reservation's start or
/// withdrawal, a reply after the harness stopped waiting — go to <paramref name="later"/> until the actor's lifetime
/// ends.
/// </summary>
internal sealed class Requester : ReceiveActor
{
    public Requester(IActorRef supervisor, IRunnerCommand command, TaskCompletionSource<(object Reply, IActorRef Sender)> first,
        Action<object, IActorRef>? later, Action<object, IActorRef> misdelivered, TimeSpan lifetime)
    {
        ReceiveAny(message =>
        {
            if (message is ReceiveTimeout)
            {
                Context.Stop(Self);
                return;
            }
            // Everything a session sends names the session: anything about another one was meant for another actor.
            if (message is IWithSessionId about && about.SessionId != command.SessionId && message is not InvalidCommand)
            {
                misdelivered(message, Sender);
                return;
            }
            if (!first.TrySetResult((message, Sender))) later?.Invoke(message, Sender);
        });
        SetReceiveTimeout(lifetime);
        supervisor.Tell(command, Self);
    }

    public static Props Props(IActorRef supervisor, IRunnerCommand command, TaskCompletionSource<(object, IActorRef)> first,
        Action<object, IActorRef>? later, Action<object, IActorRef> misdelivered, TimeSpan lifetime) =>
        Akka.Actor.Props.Create(() => new Requester(supervisor, command, first, later, misdelivered, lifetime));
}

/// <summary>A run's executor actor: the stand-in of a worker process. The session watches it and signals it.</summary>
internal sealed class WorkerActor : ReceiveActor
{
    public WorkerActor(Action<CancelRun> cancelled)
    {
        Receive<CancelRun>(cancelled);
        ReceiveAny(_ => { });
    }

    public static Props Props(Action<CancelRun> cancelled) => Akka.Actor.Props.Create(() => new WorkerActor(cancelled));
}

/// <summary>A subscriber actor of the harness: every event it receives goes to <paramref name="received"/>.</summary>
internal sealed class SubscriberActor : ReceiveActor
{
    public SubscriberActor(Action<AgentEvent> received)
    {
        Receive<AgentEvent>(received);
        ReceiveAny(_ => { });
    }

    public static Props Props(Action<AgentEvent> received) => Akka.Actor.Props.Create(() => new SubscriberActor(received));
}
