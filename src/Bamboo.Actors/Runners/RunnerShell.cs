using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Bamboo.Actors.Diagnostics;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Sharding;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Runners;

/// <summary>
/// What both session actors (<see cref="SessionRunner"/> in memory, <see cref="DurableSessionRunner"/> event-sourced)
/// do around <see cref="RunnerState{TRef}"/>: turn messages into decisions, and apply decisions — reply, publish events on
/// the EventStream and to subscribers, watch executors and subscribers, run the deadline timers, record metrics and the
/// run log line. Used on the actor's thread only.
/// </summary>
internal sealed class RunnerShell
{
    private readonly IActorContext _context;
    private readonly RunnerSettings _settings;
    private readonly ILoggingAdapter _log;
    private HashSet<IActorRef>? _subscribers; // most sessions never have one
    private List<IActorRef>? _drainWaiters; // only while the system shuts down
    private string? _startedRunId;
    // The run's one pending timer (its deadline, then the grace after it). A plain scheduler registration rather than
    // IWithTimers, whose TimerScheduler every instance would carry from creation; a tick that was already on its way
    // when the timer was replaced or cancelled is harmless, because the state fences ticks by run id.
    private ICancelable? _runTimer;
    // Idleness is checked lazily rather than with Akka's receive timeout, which cancels and re-arms a scheduler
    // registration after every message: the last message's time is noted, and one pending IdleCheck at a time looks
    // at it when it fires and, if the session was busy meanwhile, schedules the next check for the time still missing.
    private long _lastActivity = Environment.TickCount64;
    private bool _idleCheckPending;

    public RunnerShell(IActorContext context, RunnerState<IActorRef> state, RunnerSettings settings)
    {
        _context = context;
        _settings = settings;
        _log = context.GetLogger();
        State = state;
    }

    public RunnerState<IActorRef> State { get; }

    private string SessionId => State.SessionId;

    private IActorRef Self => _context.Self;

    private IActorRef Sender => _context.Sender;

    private static DateTimeOffset Now => DateTimeOffset.UtcNow;

    /// <summary>
    /// Turns <paramref name="message"/> into a decision of the state. Reads (status, subscriptions) are answered directly
    /// and yield no decision. False when the message is not for the runner.
    /// </summary>
    public bool TryDecide(object message, out RunnerDecision<IActorRef>? decision)
    {
        _lastActivity = Environment.TickCount64;
        decision = message switch
        {
            Reserve reserve => Reserve(reserve),
            Finalize finalize => State.Finalize(finalize.RunId, finalize.Outcome, Now),
            Cancel cancel => State.Cancel(cancel.RunId, cancel.Reason, Now),
            Publish publish => State.Publish(publish.RunId, publish.Event, publish.Acknowledge, Now),
            Terminated terminated => ExecutorOrSubscriberTerminated(terminated.ActorRef),
            DeadlineTick tick => State.DeadlinePassed(tick.RunId, Now),
            GraceTick tick => State.GraceExpired(tick.RunId, Now),
            SessionRunner.Drain drain => Drain(drain),
            _ => null,
        };
        if (decision is not null) return true;

        switch (message)
        {
            case GetStatus:
                Sender.Tell(State.Snapshot(SubscriberCount));
                return true;
            case Subscribe subscribe:
                Subscribe(subscribe);
                return true;
            case Unsubscribe unsubscribe:
                Unsubscribe(unsubscribe);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Replies, applies the effects, and re-evaluates idleness (passivation timer, pending drains).</summary>
    public void Apply(RunnerDecision<IActorRef> decision)
    {
        if (decision.Reply is { } reply) Sender.Tell(reply);
        foreach (var effect in decision.Effects) Apply(effect);
        EnsureIdleCheck();
        if (_drainWaiters is not null && State.IsIdle)
        {
            foreach (var waiter in _drainWaiters) waiter.Tell(SessionRunner.Drained.Instance);
            _drainWaiters = null;
        }
    }

    /// <summary>No run, nothing queued, no subscriber: nothing is lost if the session leaves memory.</summary>
    public bool IsIdle => State.IsIdle && SubscriberCount == 0;

    private int SubscriberCount => _subscribers?.Count ?? 0;

    /// <summary>Recovery of a durable runner finished: the state settles what the restart broke.</summary>
    public RunnerDecision<IActorRef> Recovered()
    {
        var decision = State.Recovered(Now);
        if (State.Status == RunStatus.Running)
        {
            _startedRunId = State.RunId;
            BambooMetrics.RunsActive.Add(1);
        }
        return decision;
    }

    public void Started()
    {
        BambooMetrics.SessionsLive.Add(1);
        EnsureIdleCheck();
    }

    /// <summary>
    /// An <see cref="IdleCheck"/> arrived. When the session has been idle for the whole idle timeout, asks the parent
    /// (local supervisor or shard) to stop this runner and returns true; until the stop message arrives, the actor
    /// forwards commands back to its parent (see <see cref="ForwardWhilePassivating(object)"/>). Otherwise schedules the
    /// next check if the session is idle; a session that is <paramref name="busy"/> or not idle gets a fresh check when
    /// it becomes idle (<see cref="Apply(RunnerDecision{IActorRef})"/>).
    /// </summary>
    public bool IdleCheckFired(bool busy)
    {
        _idleCheckPending = false;
        if (busy || !IsIdle) return false;
        var idleFor = TimeSpan.FromMilliseconds(Environment.TickCount64 - _lastActivity);
        if (idleFor < _settings.IdleTimeout)
        {
            ScheduleIdleCheck(_settings.IdleTimeout - idleFor);
            return false;
        }
        _context.Parent.Tell(new Passivate(SessionRunner.Stop.Instance));
        return true;
    }

    /// <summary>Asks the parent to stop this runner although it is not idle (its memory can no longer be trusted).</summary>
    public void LeaveAfterFailure() => _context.Parent.Tell(new Passivate(SessionRunner.Stop.Instance));

    /// <summary>While passivating, commands already on their way are handed back (see <see cref="HandBack(object, IActorRef)"/>);
    /// everything else is dropped.</summary>
    public void ForwardWhilePassivating(object message) => HandBack(message, Sender);

    /// <summary>
    /// Hands <paramref name="message"/>, if it is a command, back on behalf of <paramref name="sender"/> to whoever
    /// delivers it to the session's next incarnation: the shard region when sharded (it buffers while a shard is handed
    /// off and follows the session to its new node; the shard itself drops messages during a hand-off), else the parent
    /// supervisor (it buffers for a passivating child).
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
        BambooMetrics.SessionsLive.Add(-1);
        CancelRunTimer();
        if (!abandon || State.IsIdle) return;
        foreach (var effect in State.Abandon(reason, Now).Effects)
        {
            if (effect is RunnerEffect<IActorRef>.Emit or RunnerEffect<IActorRef>.SignalCancel or RunnerEffect<IActorRef>.Notify)
                Apply(effect);
        }
    }

    private RunnerDecision<IActorRef> Reserve(Reserve command)
    {
        var conflict = State.Status == RunStatus.Running;
        // Under a plain Tell from outside an actor the sender is deadLetters: nobody to notify later.
        var reserver = Sender.IsNobody() || Equals(Sender, _context.System.DeadLetters) ? null : Sender;
        var decision = State.Reserve(command.OnConflict, command.Executor, reserver, command.Deadline, Now);
        if (conflict)
        {
            BambooMetrics.ReserveConflict(command.OnConflict, decision.Reply switch
            {
                AlreadyRunning => "already_running",
                Reserved => "interrupted",
                Queued => "queued",
                _ => "queue_full",
            });
        }
        return decision;
    }

    private RunnerDecision<IActorRef> ExecutorOrSubscriberTerminated(IActorRef actor)
    {
        // One actor may be both a subscriber and an executor: both roles end.
        _subscribers?.Remove(actor);
        return State.ExecutorTerminated(actor, Now);
    }

    private RunnerDecision<IActorRef> Drain(SessionRunner.Drain drain)
    {
        (_drainWaiters ??= []).Add(Sender);
        return State.Drain(drain.Reason, Now);
    }

    private void Subscribe(Subscribe command)
    {
        Sender.Tell(new Subscribed(SessionId, State.LastSequence));
        // Replay and subscription happen in one message, so live events follow the replay with no gap or duplicate.
        foreach (var evt in State.Replay(command.AfterSequence)) command.Subscriber.Tell(evt, Self);
        if ((_subscribers ??= []).Add(command.Subscriber)) _context.Watch(command.Subscriber);
        EnsureIdleCheck();
    }

    private void Unsubscribe(Unsubscribe command)
    {
        if (_subscribers?.Remove(command.Subscriber) == true && !State.IsExecutor(command.Subscriber)) _context.Unwatch(command.Subscriber);
        Sender.Tell(new Unsubscribed(SessionId));
        EnsureIdleCheck();
    }

    private void Apply(RunnerEffect<IActorRef> effect)
    {
        switch (effect)
        {
            case RunnerEffect<IActorRef>.Emit emit:
                _context.System.EventStream.Publish(emit.Event);
                if (_subscribers is not null)
                {
                    foreach (var subscriber in _subscribers) subscriber.Tell(emit.Event, Self);
                }
                Observe(emit.Event);
                break;
            case RunnerEffect<IActorRef>.Watch watch:
                _context.Watch(watch.Executor);
                break;
            case RunnerEffect<IActorRef>.Unwatch unwatch when _subscribers?.Contains(unwatch.Executor) != true:
                _context.Unwatch(unwatch.Executor);
                break;
            case RunnerEffect<IActorRef>.SignalCancel signal:
                signal.Executor.Tell(new ExecutorSignals.CancelRun(SessionId, signal.RunId, signal.Reason), Self);
                break;
            case RunnerEffect<IActorRef>.Notify notify:
                notify.Target.Tell(notify.Message, Self);
                break;
            case RunnerEffect<IActorRef>.ScheduleDeadline deadline:
                StartRunTimer(deadline.After, new DeadlineTick(deadline.RunId));
                break;
            case RunnerEffect<IActorRef>.ScheduleGrace grace:
                StartRunTimer(grace.After, new GraceTick(grace.RunId));
                break;
            case RunnerEffect<IActorRef>.CancelTimers:
                CancelRunTimer();
                break;
        }
    }

    /// <summary>Metrics and the one log line per run start and finish.</summary>
    private void Observe(AgentEvent evt)
    {
        BambooMetrics.EventPublished(evt);
        switch (evt)
        {
            case ExecutionStarted:
                _startedRunId = evt.RunId;
                BambooMetrics.RunsStarted.Add(1);
                BambooMetrics.RunsActive.Add(1);
                _log.Info("Run {RunId} started in session {SessionId}", evt.RunId, SessionId);
                break;
            case ExecutionFinished finished:
                BambooMetrics.RunFinished(finished.Status);
                // A queued run withdrawn before it started finishes too, but was never active.
                if (evt.RunId == _startedRunId)
                {
                    _startedRunId = null;
                    BambooMetrics.RunsActive.Add(-1);
                }
                _log.Info("Run {RunId} finished in session {SessionId} with status {Status} {Error}",
                    evt.RunId, SessionId, finished.Status, finished.Error ?? "");
                break;
        }
    }

    private void StartRunTimer(TimeSpan after, object tick)
    {
        _runTimer?.Cancel();
        _runTimer = _context.System.Scheduler.ScheduleTellOnceCancelable(after, Self, tick, Self);
    }

    private void CancelRunTimer()
    {
        _runTimer?.Cancel();
        _runTimer = null;
    }

    /// <summary>An idle session has an idle check pending (a busy one gets one when it becomes idle).</summary>
    private void EnsureIdleCheck()
    {
        if (IsIdle && !_idleCheckPending) ScheduleIdleCheck(_settings.IdleTimeout);
    }

    private void ScheduleIdleCheck(TimeSpan after)
    {
        _idleCheckPending = true;
        // Not cancelable, so it costs no cancellation source; one still on its way when the runner stops is dropped
        // silently (IDeadLetterSuppression), and one that finds the session busy again only looks and leaves.
        _context.System.Scheduler.ScheduleTellOnce(after, Self, IdleCheck.Instance, ActorRefs.NoSender);
    }

    /// <summary>Timer message: time to look whether the session has been idle for the idle timeout.</summary>
    internal sealed class IdleCheck : IDeadLetterSuppression, INoSerializationVerificationNeeded
    {
        public static IdleCheck Instance { get; } = new();

        private IdleCheck()
        {
        }
    }

    /// <summary>Timer message: the deadline of run <paramref name="RunId"/> passed.</summary>
    internal sealed record DeadlineTick(string RunId) : INoSerializationVerificationNeeded;

    /// <summary>Timer message: the grace after run <paramref name="RunId"/>'s deadline expired.</summary>
    internal sealed record GraceTick(string RunId) : INoSerializationVerificationNeeded;
}
