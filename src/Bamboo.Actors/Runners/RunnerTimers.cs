using Akka.Actor;
using Akka.Event;

namespace Bamboo.Actors.Runners;

/// <summary>
/// The two timers of a session runner, kept cheap because every live session has them. The run timer is one plain
/// scheduler registration (the deadline, then the grace after it) rather than <c>IWithTimers</c>, whose scheduler every
/// instance would carry from creation; a tick already on its way when the timer was replaced or cancelled is harmless,
/// because the state fences ticks by run id. Idleness is checked lazily rather than with Akka's receive timeout, which
/// cancels and re-arms a registration after every message: the last message's time is noted, and one pending
/// <see cref="IdleCheck"/> at a time looks at it when it fires.
/// </summary>
internal sealed class RunnerTimers(IActorContext context, TimeSpan idleTimeout)
{
    private ICancelable? _runTimer;
    private long _lastActivity = Environment.TickCount64;
    private bool _idleCheckPending;

    /// <summary>A message arrived: the session is not idle since then.</summary>
    public void Touch() => _lastActivity = Environment.TickCount64;

    public void StartRunTimer(TimeSpan after, object tick)
    {
        _runTimer?.Cancel();
        _runTimer = context.System.Scheduler.ScheduleTellOnceCancelable(after, context.Self, tick, context.Self);
    }

    public void CancelRunTimer()
    {
        _runTimer?.Cancel();
        _runTimer = null;
    }

    /// <summary>Sends <paramref name="tick"/> after <paramref name="after"/>, not cancelable (the state ignores a tick that
    /// is no longer due: it looks at what is unrecorded, or fences the tick by run id).</summary>
    public void ScheduleOnce(TimeSpan after, object tick) =>
        context.System.Scheduler.ScheduleTellOnce(after, context.Self, tick, ActorRefs.NoSender);

    /// <summary>An idle session has an idle check pending (a busy one gets one when it becomes idle).</summary>
    public void EnsureIdleCheck()
    {
        if (!_idleCheckPending) ScheduleIdleCheck(idleTimeout);
    }

    /// <summary>The pending check fired: true when the session has been idle for the whole timeout; otherwise the next
    /// check is scheduled for the time still missing.</summary>
    public bool IdleCheckFired()
    {
        _idleCheckPending = false;
        var idleFor = TimeSpan.FromMilliseconds(Environment.TickCount64 - _lastActivity);
        if (idleFor >= idleTimeout) return true;
        ScheduleIdleCheck(idleTimeout - idleFor);
        return false;
    }

    /// <summary>The pending check fired while the session was busy: it gets a fresh one when it becomes idle.</summary>
    public void IdleCheckSkipped() => _idleCheckPending = false;

    private void ScheduleIdleCheck(TimeSpan after)
    {
        _idleCheckPending = true;
        // Not cancelable, so it costs no cancellation source; one still on its way when the runner stops is dropped
        // silently (IDeadLetterSuppression), and one that finds the session busy again only looks and leaves.
        context.System.Scheduler.ScheduleTellOnce(after, context.Self, IdleCheck.Instance, ActorRefs.NoSender);
    }

    /// <summary>Timer message: time to look whether the session has been idle for the idle timeout.</summary>
    internal sealed class IdleCheck : IDeadLetterSuppression, INoSerializationVerificationNeeded
    {
        public static IdleCheck Instance { get; } = new();

        private IdleCheck()
        {
        }
    }

    /// <summary>Timer message: executors' events are waiting to be recorded.</summary>
    internal sealed class FlushTick : IDeadLetterSuppression, INoSerializationVerificationNeeded
    {
        public static FlushTick Instance { get; } = new();

        private FlushTick()
        {
        }
    }

    /// <summary>Timer message: time to look whether run <paramref name="RunId"/>'s worker is still heard from.</summary>
    internal sealed record HeartbeatTick(string RunId) : IDeadLetterSuppression, INoSerializationVerificationNeeded;

    /// <summary>Timer message: the deadline of run <paramref name="RunId"/> passed.</summary>
    internal sealed record DeadlineTick(string RunId) : INoSerializationVerificationNeeded;

    /// <summary>Timer message: the grace after run <paramref name="RunId"/>'s deadline expired.</summary>
    internal sealed record GraceTick(string RunId) : INoSerializationVerificationNeeded;
}
