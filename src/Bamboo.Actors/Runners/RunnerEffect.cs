using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;

namespace Bamboo.Actors.Runners;

/// <summary>
/// What the <see cref="RunnerState{TRef}"/> asks its host to do after a decision. The host (<see cref="RunnerShell"/> in
/// the session actors) applies effects in order and does nothing else.
/// </summary>
/// <typeparam name="TRef">The handle of executors and reservers (<c>IActorRef</c> in the actor).</typeparam>
public abstract record RunnerEffect<TRef> where TRef : class
{
    private RunnerEffect()
    {
    }

    /// <summary>Publish a stamped event: on the EventStream and to every subscriber.</summary>
    public sealed record Emit(AgentEvent Event) : RunnerEffect<TRef>;

    /// <summary>Send a new subscriber its replay, in order, before any later <see cref="Emit"/>.</summary>
    public sealed record Deliver(TRef Subscriber, IReadOnlyList<AgentEvent> Events) : RunnerEffect<TRef>;

    /// <summary>Start watching an actor that took its first role (executor or subscriber): its termination is reported
    /// back as <see cref="RunnerState{TRef}.Terminated"/>.</summary>
    public sealed record Watch(TRef Actor) : RunnerEffect<TRef>;

    /// <summary>Stop watching an actor that has no role left.</summary>
    public sealed record Unwatch(TRef Actor) : RunnerEffect<TRef>;

    /// <summary>Tell an executor its run must stop.</summary>
    public sealed record SignalCancel(TRef Executor, string RunId, string Reason) : RunnerEffect<TRef>;

    /// <summary>Send a reply to someone other than the current command's sender (a queued run's reserver).</summary>
    public sealed record Notify(TRef Target, IRunnerReply Message) : RunnerEffect<TRef>;

    /// <summary>Report <see cref="RunnerState{TRef}.DeadlinePassed"/> for <paramref name="RunId"/> after <paramref name="After"/>.</summary>
    public sealed record ScheduleDeadline(string RunId, TimeSpan After) : RunnerEffect<TRef>;

    /// <summary>Report <see cref="RunnerState{TRef}.GraceExpired"/> for <paramref name="RunId"/> after <paramref name="After"/>.</summary>
    public sealed record ScheduleGrace(string RunId, TimeSpan After) : RunnerEffect<TRef>;

    /// <summary>Report <see cref="RunnerState{TRef}.FlushEvents"/> after <paramref name="After"/>: executors' events are
    /// waiting to be recorded.</summary>
    public sealed record ScheduleFlush(TimeSpan After) : RunnerEffect<TRef>;

    /// <summary>Report <see cref="RunnerState{TRef}.HeartbeatCheck"/> for <paramref name="RunId"/> after <paramref name="After"/>.</summary>
    public sealed record ScheduleHeartbeatCheck(string RunId, TimeSpan After) : RunnerEffect<TRef>;

    /// <summary>The active run ended: its deadline and grace timers are no longer needed.</summary>
    public sealed record CancelTimers : RunnerEffect<TRef>;

    /// <summary>A shutdown drain asked by <paramref name="Waiter"/> is done: the session has no run left.</summary>
    public sealed record Drained(TRef Waiter) : RunnerEffect<TRef>;
}

/// <summary>
/// The outcome of one input to <see cref="RunnerState{TRef}"/>: a reply for the sender (if any), effects, and — for a
/// durable state — the facts to persist before the reply and effects may be applied.
/// </summary>
public readonly record struct RunnerDecision<TRef>(
    IRunnerReply? Reply,
    IReadOnlyList<RunnerEffect<TRef>> Effects,
    IReadOnlyList<RunnerFact<TRef>> Facts) where TRef : class
{
    /// <summary>A decision of a non-durable state (no facts).</summary>
    public RunnerDecision(IRunnerReply? reply, IReadOnlyList<RunnerEffect<TRef>> effects) : this(reply, effects, [])
    {
    }
}
