using Akka.Actor;
using Akka.Event;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerCommands;

namespace Bamboo.Actors.Runners;

/// <summary>
/// What both session actors (<see cref="SessionRunner"/> in memory, <see cref="DurableSessionRunner"/> event-sourced)
/// do around <see cref="RunnerState{TRef}"/>: turn messages into decisions of the state, and apply decisions — reply,
/// publish, watch, signal, schedule. It decides nothing itself: who subscribes, what is idle and what is replayed are the
/// state's; metrics and logs are the <see cref="RunnerObserver"/>'s. Used on the actor's thread only.
/// </summary>
internal sealed class RunnerShell
{
    private readonly IActorContext _context;
    private readonly RunnerSettings _settings;
    private readonly RunnerTimers _timers;
    private readonly RunnerObserver _observer;

    public RunnerShell(IActorContext context, RunnerState<IActorRef> state, RunnerSettings settings)
    {
        _context = context;
        _settings = settings;
        _timers = new RunnerTimers(context, settings.IdleTimeout);
        _observer = new RunnerObserver(context, state.SessionId);
        State = state;
        Passivation = new RunnerPassivation(context, settings, state, _timers);
    }

    public RunnerState<IActorRef> State { get; }

    /// <summary>How this runner leaves: idle, after a failure, handing back what arrives meanwhile.</summary>
    public RunnerPassivation Passivation { get; }

    private IActorRef Sender => _context.Sender;

    private static DateTimeOffset Now => DateTimeOffset.UtcNow;

    /// <summary>Turns <paramref name="message"/> into a decision of the state; null when the message is not for the runner.</summary>
    public RunnerDecision<IActorRef>? Decide(object message)
    {
        _timers.Touch();
        return message switch
        {
            Reserve reserve => Reserve(reserve),
            Finalize finalize => State.Finalize(finalize.RunId, finalize.Outcome, Now, finalize.Output),
            Cancel cancel => State.Cancel(cancel.RunId, cancel.Reason, Now),
            Publish publish => State.Publish(publish.RunId, publish.Event, publish.Acknowledge, Now),
            GetStatus => State.GetStatus(),
            Subscribe subscribe => State.Subscribe(subscribe.Subscriber, subscribe.AfterSequence),
            Unsubscribe unsubscribe => State.Unsubscribe(unsubscribe.Subscriber),
            Terminated terminated => State.Terminated(terminated.ActorRef, Now),
            Heartbeat heartbeat => State.Heartbeat(heartbeat.RunId, Now),
            GetRun get => State.GetRun(get.RunId),
            DeleteSession => State.Delete(Now),
            RunnerTimers.DeadlineTick tick => State.DeadlinePassed(tick.RunId, Now),
            RunnerTimers.GraceTick tick => State.GraceExpired(tick.RunId, Now),
            RunnerTimers.HeartbeatTick tick => State.HeartbeatCheck(tick.RunId, Now),
            RunnerTimers.FlushTick => State.FlushEvents(),
            SessionRunner.Drain drain => State.Drain(drain.Reason, Sender, Now),
            SessionRunner.EndRuns end => State.Abandon(end.Reason, Now, Sender),
            _ => null,
        };
    }

    /// <summary>Replies to the current sender and applies the effects, in order; a runner that publishes its facts (for
    /// an in-memory read model) publishes them first — a durable one once they are recorded in its journal.</summary>
    public void Apply(RunnerDecision<IActorRef> decision)
    {
        if (_settings.PublishFacts)
        {
            foreach (var fact in decision.Facts) _context.System.EventStream.Publish(new SessionFactRecorded(State.SessionId, fact));
        }
        if (decision.Reply is { } reply) Sender.Tell(reply);
        foreach (var effect in decision.Effects) Apply(effect);
        var idle = State.IsIdle;
        if (idle)
        {
            _timers.EnsureIdleCheck();
            // Akka's cell keeps the sender of the last message it handled (the finalizing lease actor, or an Ask's
            // temporary actor with its task and reply) for as long as no other message arrives: for an idle session,
            // its whole idle life. A message of its own without a sender, once per change to idle, lets that go.
            if (!_idle) _context.Self.Tell(ForgetSender.Instance, ActorRefs.NoSender);
        }
        _idle = idle;
    }

    private bool _idle;

    /// <summary>Sent by a runner to itself when its session becomes idle, so the cell no longer holds the sender of the
    /// message that made it idle; the runner handles it by doing nothing.</summary>
    internal sealed class ForgetSender : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static ForgetSender Instance { get; } = new();

        private ForgetSender()
        {
        }
    }

    public void Started()
    {
        _observer.Started();
        _timers.EnsureIdleCheck();
    }

    /// <summary>Recovery of a durable runner finished: the state settles what the restart broke.</summary>
    public RunnerDecision<IActorRef> Recovered()
    {
        var decision = State.Recovered(Now);
        _observer.Recovered(State.Status == RunStatus.Running ? State.RunId : null);
        return decision;
    }

    /// <summary>
    /// The actor stopped. An in-memory runner (<paramref name="abandon"/>) that still had a run ends it and tells its
    /// executor and queued reservers, so no run is left running with nobody to end it; a durable runner keeps it, and the
    /// next incarnation recovers it.
    /// </summary>
    public void Stopped(bool abandon, string reason)
    {
        _timers.CancelRunTimer();
        if (abandon && State.HasRuns)
        {
            foreach (var effect in State.Abandon(reason, Now).Effects)
            {
                if (effect is RunnerEffect<IActorRef>.Emit or RunnerEffect<IActorRef>.SignalCancel or RunnerEffect<IActorRef>.Notify)
                    Apply(effect);
            }
        }
        _observer.Stopped();
    }

    private RunnerDecision<IActorRef> Reserve(Reserve command)
    {
        var conflict = State.Status == RunStatus.Running;
        // Under a plain Tell from outside an actor the sender is deadLetters: nobody to notify later.
        var reserver = Sender.IsNobody() || Equals(Sender, _context.System.DeadLetters) ? null : Sender;
        var now = Now;
        var decision = State.Reserve(command.OnConflict, command.Executor, reserver, command.Deadline, now, RunRequest.Of(command, now));
        _observer.Reserved(command.OnConflict, conflict, decision.Reply);
        return decision;
    }

    private void Apply(RunnerEffect<IActorRef> effect)
    {
        var self = _context.Self;
        switch (effect)
        {
            case RunnerEffect<IActorRef>.Emit emit:
                _context.System.EventStream.Publish(emit.Event);
                if (State.Subscribers is { } subscribers)
                {
                    foreach (var subscriber in subscribers) subscriber.Tell(emit.Event, self);
                }
                _observer.Emitted(emit.Event);
                break;
            case RunnerEffect<IActorRef>.Deliver deliver:
                foreach (var evt in deliver.Events) deliver.Subscriber.Tell(evt, self);
                break;
            case RunnerEffect<IActorRef>.Watch watch:
                _context.Watch(watch.Actor);
                break;
            case RunnerEffect<IActorRef>.Unwatch unwatch:
                _context.Unwatch(unwatch.Actor);
                break;
            case RunnerEffect<IActorRef>.SignalCancel signal:
                signal.Executor.Tell(new ExecutorSignals.CancelRun(State.SessionId, signal.RunId, signal.Reason), self);
                break;
            case RunnerEffect<IActorRef>.Notify notify:
                notify.Target.Tell(notify.Message, self);
                break;
            case RunnerEffect<IActorRef>.ScheduleDeadline deadline:
                _timers.StartRunTimer(deadline.After, new RunnerTimers.DeadlineTick(deadline.RunId));
                break;
            case RunnerEffect<IActorRef>.ScheduleGrace grace:
                _timers.StartRunTimer(grace.After, new RunnerTimers.GraceTick(grace.RunId));
                break;
            case RunnerEffect<IActorRef>.CancelTimers:
                _timers.CancelRunTimer();
                break;
            case RunnerEffect<IActorRef>.ScheduleFlush flush:
                _timers.ScheduleOnce(flush.After, RunnerTimers.FlushTick.Instance);
                break;
            case RunnerEffect<IActorRef>.ScheduleHeartbeatCheck check:
                _timers.ScheduleOnce(check.After, new RunnerTimers.HeartbeatTick(check.RunId));
                break;
            case RunnerEffect<IActorRef>.Drained drained:
                drained.Waiter.Tell(SessionRunner.Drained.Instance, self);
                break;
        }
    }
}
