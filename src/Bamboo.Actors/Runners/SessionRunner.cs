using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Bamboo.Actors.Diagnostics;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Routing;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Runners;

/// <summary>
/// One session's actor: a thin shell around <see cref="RunnerState{TRef}"/>. It feeds commands, timer ticks and
/// executor deaths to the state and applies the decisions: replies, publishes events on the EventStream and to
/// subscribers, watches executors and subscribers, runs deadline timers, and passivates when idle.
/// The same actor is a child of the local <see cref="RunnerSupervisor"/> or an entity of the cluster shard region.
/// </summary>
public sealed class SessionRunner : ReceiveActor, IWithTimers
{
    private const string DeadlineTimer = "deadline";
    private const string GraceTimer = "grace";

    private readonly RunnerState<IActorRef> _state;
    private readonly RunnerSettings _settings;
    private HashSet<IActorRef>? _subscribers; // most sessions never have one
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private string _stopReason = "session stopped";
    private string? _startedRunId;

    /// <summary>Creates the runner of <paramref name="sessionId"/>.</summary>
    public SessionRunner(string sessionId, RunnerSettings settings)
    {
        _settings = settings;
        _state = new RunnerState<IActorRef>(sessionId, settings);
        Active();
    }

    /// <summary>Props for the runner of <paramref name="sessionId"/>.</summary>
    public static Props Props(string sessionId, RunnerSettings settings) =>
        Akka.Actor.Props.Create(() => new SessionRunner(sessionId, settings));

    /// <summary>Props for the entity <paramref name="entityId"/> (see <see cref="SessionIds.ToEntityId"/>).</summary>
    public static Props PropsForEntity(string entityId, RunnerSettings settings) =>
        Props(SessionIds.FromEntityId(entityId), settings);

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    private string SessionId => _state.SessionId;

    private int SubscriberCount => _subscribers?.Count ?? 0;

    // One handler with a switch rather than a Receive<T> per message type: ReceiveActor keeps a delegate and a capture
    // slot per registered handler in every instance, which for twelve handlers was about a kilobyte per live session.
    private void Active() => ReceiveAny(OnActive);

    private void OnActive(object message)
    {
        switch (message)
        {
            case Reserve cmd:
                HandleReserve(cmd);
                break;
            case Finalize cmd:
                Apply(_state.Finalize(cmd.RunId, cmd.Outcome, Now));
                break;
            case Cancel cmd:
                Apply(_state.Cancel(cmd.RunId, cmd.Reason, Now));
                break;
            case Publish cmd:
                Apply(_state.Publish(cmd.RunId, cmd.Event, cmd.Acknowledge, Now));
                break;
            case GetStatus:
                Sender.Tell(_state.Snapshot(SubscriberCount));
                break;
            case Subscribe cmd:
                HandleSubscribe(cmd);
                break;
            case Unsubscribe cmd:
                HandleUnsubscribe(cmd);
                break;
            case Terminated terminated:
                HandleTerminated(terminated);
                break;
            case DeadlineTick tick:
                Apply(_state.DeadlinePassed(tick.RunId, Now));
                break;
            case GraceTick tick:
                Apply(_state.GraceExpired(tick.RunId, Now));
                break;
            case ReceiveTimeout:
                PassivateIfIdle();
                break;
            case Stop:
                Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>
    /// Passivation was requested; until the stop message arrives, commands that were already on their way here go back
    /// to the parent (the local supervisor or the shard), which buffers them and hands them to the next incarnation.
    /// </summary>
    private void Passivating() => ReceiveAny(message =>
    {
        switch (message)
        {
            case Stop:
                Context.Stop(Self);
                break;
            case IRunnerCommand cmd:
                Context.Parent.Forward(cmd);
                break;
        }
    });

    private void HandleReserve(Reserve cmd)
    {
        var conflict = _state.Status == RunStatus.Running;
        var decision = _state.Reserve(cmd.OnConflict, cmd.Executor, Reserver(), cmd.Deadline, Now);
        if (conflict)
        {
            BambooMetrics.ReserveConflict(cmd.OnConflict, decision.Reply switch
            {
                AlreadyRunning => "already_running",
                Reserved => "interrupted",
                Queued => "queued",
                _ => "queue_full",
            });
        }
        Apply(decision);
    }

    private void HandleSubscribe(Subscribe cmd)
    {
        Sender.Tell(new Subscribed(SessionId, _state.LastSequence));
        // Replay and subscription happen in one message, so live events follow the replay with no gap or duplicate.
        foreach (var evt in _state.Replay(cmd.AfterSequence)) cmd.Subscriber.Tell(evt, Self);
        if ((_subscribers ??= []).Add(cmd.Subscriber)) Context.Watch(cmd.Subscriber);
        UpdateIdleTimeout();
    }

    private void HandleUnsubscribe(Unsubscribe cmd)
    {
        if (_subscribers?.Remove(cmd.Subscriber) == true && !_state.IsExecutor(cmd.Subscriber)) Context.Unwatch(cmd.Subscriber);
        Sender.Tell(new Unsubscribed(SessionId));
        UpdateIdleTimeout();
    }

    private void HandleTerminated(Terminated terminated)
    {
        // One actor may be both a subscriber and an executor: both roles end.
        _subscribers?.Remove(terminated.ActorRef);
        Apply(_state.ExecutorTerminated(terminated.ActorRef, Now));
    }

    private void Apply(RunnerDecision<IActorRef> decision)
    {
        if (decision.Reply is { } reply) Sender.Tell(reply);
        foreach (var effect in decision.Effects) Apply(effect);
        UpdateIdleTimeout();
    }

    private void Apply(RunnerEffect<IActorRef> effect)
    {
        switch (effect)
        {
            case RunnerEffect<IActorRef>.Emit emit:
                Context.System.EventStream.Publish(emit.Event);
                if (_subscribers is not null)
                {
                    foreach (var subscriber in _subscribers) subscriber.Tell(emit.Event, Self);
                }
                Observe(emit.Event);
                break;
            case RunnerEffect<IActorRef>.Watch watch:
                Context.Watch(watch.Executor);
                break;
            case RunnerEffect<IActorRef>.Unwatch unwatch when _subscribers?.Contains(unwatch.Executor) != true:
                Context.Unwatch(unwatch.Executor);
                break;
            case RunnerEffect<IActorRef>.SignalCancel signal:
                signal.Executor.Tell(new ExecutorSignals.CancelRun(SessionId, signal.RunId, signal.Reason), Self);
                break;
            case RunnerEffect<IActorRef>.Notify notify:
                notify.Target.Tell(notify.Message, Self);
                break;
            case RunnerEffect<IActorRef>.ScheduleDeadline deadline:
                Timers.StartSingleTimer(DeadlineTimer, new DeadlineTick(deadline.RunId), deadline.After);
                break;
            case RunnerEffect<IActorRef>.ScheduleGrace grace:
                Timers.StartSingleTimer(GraceTimer, new GraceTick(grace.RunId), grace.After);
                break;
            case RunnerEffect<IActorRef>.CancelTimers:
                Timers.Cancel(DeadlineTimer);
                Timers.Cancel(GraceTimer);
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

    private void UpdateIdleTimeout() =>
        Context.SetReceiveTimeout(_state.IsIdle && SubscriberCount == 0 ? _settings.IdleTimeout : null);

    private void PassivateIfIdle()
    {
        if (!_state.IsIdle || SubscriberCount > 0) return;
        Context.SetReceiveTimeout(null);
        Context.Parent.Tell(new Passivate(Stop.Instance));
        Become(Passivating);
    }

    /// <summary>Under a plain <c>Tell</c> from outside an actor the sender is deadLetters: nobody to notify later.</summary>
    private IActorRef? Reserver() => Sender.IsNobody() || Equals(Sender, Context.System.DeadLetters) ? null : Sender;

    private static DateTimeOffset Now => DateTimeOffset.UtcNow;

    /// <inheritdoc />
    protected override void PreStart()
    {
        BambooMetrics.SessionsLive.Add(1);
        UpdateIdleTimeout();
    }

    /// <inheritdoc />
    protected override void PreRestart(Exception reason, object message)
    {
        _stopReason = $"runner failed: {reason.Message}";
        base.PreRestart(reason, message);
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        BambooMetrics.SessionsLive.Add(-1);
        // Stopped (hand-off, system shutdown) or failed while a run was active: end it, tell its executor and any
        // queued reservers, so no run is left running with nobody to end it.
        if (_state.IsIdle) return;
        var decision = _state.Abandon(_stopReason, Now);
        foreach (var effect in decision.Effects)
        {
            if (effect is RunnerEffect<IActorRef>.Emit or RunnerEffect<IActorRef>.SignalCancel or RunnerEffect<IActorRef>.Notify)
                Apply(effect);
        }
    }

    /// <summary>The message that stops a session runner (passivation and shard hand-off).</summary>
    public sealed class Stop : IEquatable<Stop>
    {
        /// <summary>The single instance.</summary>
        public static Stop Instance { get; } = new();

        private Stop()
        {
        }

        /// <inheritdoc />
        public bool Equals(Stop? other) => other is not null;

        /// <inheritdoc />
        public override bool Equals(object? obj) => obj is Stop;

        /// <inheritdoc />
        public override int GetHashCode() => 0;
    }

    private sealed record DeadlineTick(string RunId);

    private sealed record GraceTick(string RunId);
}
