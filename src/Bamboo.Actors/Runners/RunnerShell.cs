using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Sharding;
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
        _observer = new RunnerObserver(context.GetLogger(), state.SessionId);
        State = state;
    }

    public RunnerState<IActorRef> State { get; }

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

    /// <summary>Replies to the current sender and applies the effects, in order; an in-memory runner that publishes its
    /// facts publishes them first (a durable one has recorded them in its journal).</summary>
    public void Apply(RunnerDecision<IActorRef> decision)
    {
        if (_settings is { PublishFacts: true, Durable: false })
        {
            foreach (var fact in decision.Facts) _context.System.EventStream.Publish(new SessionFactRecorded(State.SessionId, fact));
        }
        if (decision.Reply is { } reply) Sender.Tell(reply);
        foreach (var effect in decision.Effects) Apply(effect);
        if (State.IsIdle) _timers.EnsureIdleCheck();
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
    /// An idle check arrived. When the session has been idle for the whole idle timeout, asks the parent (supervisor or
    /// shard) to stop this runner and returns true: until the stop arrives, the actor hands commands back
    /// (<see cref="HandBack"/>). A <paramref name="busy"/> or non-idle session gets a fresh check once it is idle.
    /// </summary>
    public bool IdleCheckFired(bool busy)
    {
        if (busy || !State.IsIdle)
        {
            _timers.IdleCheckSkipped();
            return false;
        }
        if (!_timers.IdleCheckFired()) return false;
        _context.Parent.Tell(new Passivate(SessionRunner.Stop.Instance));
        return true;
    }

    /// <summary>Asks the parent to stop this runner although it is not idle (its memory can no longer be trusted).</summary>
    public void LeaveAfterFailure() => _context.Parent.Tell(new Passivate(SessionRunner.Stop.Instance));

    /// <summary>
    /// Hands <paramref name="message"/>, if it is a command, back on behalf of <paramref name="sender"/> to whoever
    /// delivers it to the session's next incarnation: the shard region when sharded (it buffers while a shard is handed
    /// off and follows the session to its new node; the shard itself drops messages during a hand-off), else the parent
    /// supervisor (it buffers for a passivating child). Anything else is dropped.
    /// </summary>
    public void HandBack(object message, IActorRef sender)
    {
        if (message is not IRunnerCommand command) return;
        var target = _settings.Sharded ? ClusterSharding.Get(_context.System).ShardRegion(BambooSharding.TypeName) : _context.Parent;
        target.Tell(command, sender);
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
        var digest = command.IdempotencyKey is null ? null
            : RunnerState<IActorRef>.RequestDigest(command.OnConflict, command.Deadline, command.Agent, command.Input, command.HeartbeatTimeout);
        var request = new RunRequest(now, command.OnConflict, command.Agent, command.Input, command.IdempotencyKey, digest, command.HeartbeatTimeout);
        var decision = State.Reserve(command.OnConflict, command.Executor, reserver, command.Deadline, now, request);
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
