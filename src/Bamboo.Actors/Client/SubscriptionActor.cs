using System.Threading.Channels;
using Akka.Actor;
using Akka.Event;
using Bamboo.Actors.Events;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Client;

/// <summary>
/// The owner of one <see cref="EventSubscription"/>: it subscribes to the session, writes its events into the
/// subscription's bounded channel, keeps the cursor (the last sequence written), and subscribes again after that cursor
/// whenever it has to — the session's runner stopped (hand-off, node loss, failure), or the consumer fell a whole buffer
/// behind. The channel lives as long as the subscription, so the reader never sees a reconnection.
/// </summary>
/// <remarks>
/// <para>Phases: <c>Subscribing → Live</c>; <c>Live → Paused</c> when the channel is full (unsubscribed, waiting until the
/// reader has read half of it), <c>Paused → Subscribing</c>; <c>Live → Subscribing</c> when the runner stops; and
/// <c>Subscribing → Ended</c> (<see cref="SubscriptionStatus.Unavailable"/>) after <see cref="Attempts"/> unanswered
/// subscriptions. The cursor is kept across a runner's loss while the session stays on one node: there its sequences
/// never go backwards (a durable session keeps its numbering in the journal; an in-memory one numbers above its node's
/// floor), and a cursor beyond what a new incarnation has numbered replays all it retains. An answer from a runner on
/// another node than the one that numbered the cursor may come from a numbering that started lower (an in-memory session
/// that moved): then it subscribes again from the first retained event, without the reader's events reported as a gap.
/// A durable session's numbering is its journal's on every node (<see cref="Subscribed.Durable"/>): its cursor holds.</para>
/// <para>An event of the runner it is subscribed to whose sequence is not above the cursor is dropped: a subscription
/// answered twice (a retry crossing a late answer) replays twice.</para>
/// </remarks>
internal sealed class SubscriptionActor : UntypedActor
{
    /// <summary>Subscriptions sent without an answer before the subscription is <see cref="SubscriptionStatus.Unavailable"/>.</summary>
    private const int Attempts = 3;

    /// <summary>Wait before subscribing again to a runner that stopped before anything was read from it (no busy loop on
    /// a session whose runner keeps failing).</summary>
    private static readonly TimeSpan Backoff = TimeSpan.FromMilliseconds(100);

    private readonly EventSubscription _subscription;
    private readonly IActorRef _supervisor;
    private readonly ChannelWriter<AgentEvent> _writer;
    private readonly TimeSpan _answerTimeout;
    private long? _cursor;
    private IActorRef? _runner;
    private IActorRef? _cursorRunner;
    private long? _rebasedFrom;
    private bool _durable;
    private Phase _phase = Phase.Subscribing;
    private bool _wroteSinceSubscribed;
    private bool _unsubscribed;
    private int _attempts;
    private ICancelable? _timer;
    private int _timerGeneration;

    public SubscriptionActor(EventSubscription subscription, IActorRef supervisor, ChannelWriter<AgentEvent> writer, long? afterSequence,
        TimeSpan answerTimeout)
    {
        _subscription = subscription;
        _supervisor = supervisor;
        _writer = writer;
        _cursor = afterSequence;
        _answerTimeout = answerTimeout;
    }

    public static Props Props(EventSubscription subscription, IActorRef supervisor, ChannelWriter<AgentEvent> writer, long? afterSequence,
        TimeSpan answerTimeout) =>
        Akka.Actor.Props.CreateBy(new Producer(subscription, supervisor, writer, afterSequence, answerTimeout));

    /// <summary>Sent by the reader once it has read half the buffer of a paused subscription.</summary>
    public sealed class Resume : IDeadLetterSuppression
    {
        public static Resume Instance { get; } = new();

        private Resume()
        {
        }
    }

    private sealed record Timeout(int Generation) : IDeadLetterSuppression;

    private enum Phase
    {
        Subscribing,
        Live,
        Paused,
    }

    private string SessionId => _subscription.SessionId;

    protected override void PreStart() => Subscribe();

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case AgentEvent evt:
                Deliver(evt);
                break;
            case Subscribed subscribed when _phase == Phase.Subscribing:
                StopTimer();
                _attempts = 0;
                if (!Sender.Equals(_runner))
                {
                    if (_runner is not null) Context.Unwatch(_runner);
                    _runner = Sender;
                    Context.Watch(_runner);
                }
                _durable = subscribed.Durable;
                if (NumberedElsewhere())
                {
                    Rebase();
                    break;
                }
                _phase = Phase.Live;
                _wroteSinceSubscribed = false;
                _subscription.Opened(subscribed.LastSequence);
                break;
            case InvalidCommand invalid:
                _subscription.Closed(SubscriptionStatus.Invalid, invalid.Reason);
                Context.Stop(Self);
                break;
            case Terminated terminated when terminated.ActorRef.Equals(_runner):
                RunnerStopped();
                break;
            case Unsubscribed when _phase == Phase.Paused:
                _unsubscribed = true;
                if (!_subscription.IsPaused) Subscribe();
                break;
            case Resume when _phase == Phase.Paused:
                if (_unsubscribed) Subscribe();
                break;
            // The backoff after a runner's loss is over, or a subscription went unanswered.
            case Timeout timeout when timeout.Generation == _timerGeneration:
                _timer = null;
                if (_attempts < Attempts) Subscribe();
                else
                {
                    _subscription.Closed(SubscriptionStatus.Unavailable, RunnerClient.NoAnswer);
                    Context.Stop(Self);
                }
                break;
        }
    }

    /// <summary>
    /// Whether the session's runner that answered lives on another node than the one that numbered the cursor. A
    /// session's numbering never goes backwards on one node (an in-memory session numbers above its node's floor, a
    /// durable one above its journal's), but an in-memory session that moved to another node numbers above that node's
    /// floor, maybe below the cursor: the cursor then says nothing about the new numbering. A durable session's numbering
    /// is its journal's wherever it lives, so its cursor always holds.
    /// </summary>
    private bool NumberedElsewhere() =>
        !_durable && _cursor > 0 && _cursorRunner is not null && !_cursorRunner.Path.Address.Equals(Sender.Path.Address);

    /// <summary>Subscribes again from the first event the session retains; what the reader already has (up to the old
    /// cursor) is not reported missing.</summary>
    private void Rebase()
    {
        _rebasedFrom = _cursor;
        _cursor = 0;
        _cursorRunner = _runner;
        Subscribe();
    }

    private void Deliver(AgentEvent evt)
    {
        // Only the subscription in force delivers: events still on their way from one given up are replayed after the cursor.
        if (_phase != Phase.Live || !Sender.Equals(_runner)) return;
        if (_rebasedFrom is { } had)
        {
            _rebasedFrom = null;
            if (evt is ReplayGap before && before.FromSequence <= had)
            {
                if (before.ToSequence <= had) return;
                evt = before with { FromSequence = had + 1 };
            }
        }
        var gap = evt is ReplayGap;
        var sequence = gap ? ((ReplayGap)evt).ToSequence : evt.Sequence;
        if (_cursor is { } cursor && sequence <= cursor && Sender.Equals(_cursorRunner)) return;
        if (!_writer.TryWrite(evt))
        {
            // The consumer is a whole buffer behind: stop receiving, and subscribe again after the cursor once it has caught up.
            _phase = Phase.Paused;
            _unsubscribed = false;
            _runner.Tell(new Unsubscribe(SessionId, Self));
            _subscription.Pause();
            return;
        }
        _wroteSinceSubscribed = true;
        if (gap) return;
        _cursor = evt.Sequence;
        _cursorRunner = Sender;
    }

    private void RunnerStopped()
    {
        _runner = null;
        switch (_phase)
        {
            case Phase.Live:
                _phase = Phase.Subscribing;
                _attempts = 0;
                // A runner that stopped before delivering anything may keep stopping: do not hammer its session.
                if (_wroteSinceSubscribed) Subscribe();
                else StartTimer(Backoff);
                break;
            case Phase.Paused:
                _unsubscribed = true;
                if (!_subscription.IsPaused) Subscribe();
                break;
            case Phase.Subscribing:
                // Answered by a runner that has stopped since: the next attempt goes to its next incarnation.
                break;
        }
    }

    private void Subscribe()
    {
        _phase = Phase.Subscribing;
        _attempts++;
        _supervisor.Tell(new Subscribe(SessionId, Self, _cursor), Self);
        StartTimer(_answerTimeout);
    }

    private void StartTimer(TimeSpan delay)
    {
        StopTimer();
        _timer = Context.System.Scheduler.ScheduleTellOnceCancelable(delay, Self, new Timeout(_timerGeneration), Self);
    }

    /// <summary>Cancels the pending timer; a Timeout it may already have sent no longer matches the generation.</summary>
    private void StopTimer()
    {
        _timer?.Cancel();
        _timer = null;
        _timerGeneration++;
    }

    /// <summary>A failure stops the actor instead of restarting it: a restart would subscribe again from the first
    /// cursor, and deliver again what the reader already has.</summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        try
        {
            return base.AroundReceive(receive, message);
        }
        catch (Exception exception)
        {
            Context.GetLogger().Error(exception, "A subscription to session {0} failed on {1} and stops", SessionId, message.GetType().Name);
            Context.Stop(Self);
            return true;
        }
    }

    protected override void PostStop()
    {
        _timer?.Cancel();
        // Not waiting for the answer: the runner also drops a subscriber it sees stop.
        if (_phase == Phase.Live) _runner?.Tell(new Unsubscribe(SessionId, Self), ActorRefs.NoSender);
        _subscription.Closed(SubscriptionStatus.Unavailable, "the subscription stopped");
    }

    private sealed class Producer(EventSubscription subscription, IActorRef supervisor, ChannelWriter<AgentEvent> writer, long? afterSequence,
        TimeSpan answerTimeout) : IIndirectActorProducer
    {
        public Type ActorType => typeof(SubscriptionActor);

        public ActorBase Produce() => new SubscriptionActor(subscription, supervisor, writer, afterSequence, answerTimeout);

        public void Release(ActorBase actor)
        {
        }
    }
}
