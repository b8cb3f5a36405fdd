using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;

namespace Bamboo.Actors.Runners;

/// <summary>
/// The durable facts of a session: what a durable runner persists before it acknowledges a command, and replays on
/// recovery through <see cref="RunnerState{TRef}.Apply"/>. They are the session's whole record: statuses, run ids,
/// times, errors, the queue, each run's request and output, and its events — lifecycle events are derived from the
/// facts that carry their sequence, events published by executors are recorded in batches (<see cref="EventsRecorded"/>).
/// A sequence of 0 marks a fact written before events were recorded: no event is derived from it.
/// </summary>
/// <typeparam name="TRef">The handle of executors and reservers (<c>IActorRef</c> in the actor; refs survive serialization).</typeparam>
public abstract record RunnerFact<TRef> : IRunnerFact where TRef : class
{
    private RunnerFact()
    {
    }

    /// <summary>Run <paramref name="RunId"/> started (from a reservation or from the head of the queue); its
    /// <c>execution_started</c> has <paramref name="Sequence"/>. <paramref name="Reserver"/>: who queued it, told that it
    /// started — again by an incarnation that recovers it running, since a crash may have lost the first word.</summary>
    public sealed record RunStarted(string RunId, DateTimeOffset StartedAt, DateTimeOffset DeadlineAt, TRef? Executor,
        RunRequest? Request = null, long Sequence = 0, TRef? Reserver = null) : RunnerFact<TRef>;

    /// <summary>Cancellation of the active run was requested, by <paramref name="By"/> (<see cref="CancelSources"/>); its
    /// <c>run_cancelling</c> has <paramref name="Sequence"/> and time <paramref name="At"/>.</summary>
    public sealed record CancelRequested(string RunId, string Reason, string? By = null, long Sequence = 0, DateTimeOffset At = default)
        : RunnerFact<TRef>;

    /// <summary>The active run ended, with the diagnostics worth keeping and the executor's <paramref name="Output"/> (JSON
    /// text); its <c>execution_finished</c> has <paramref name="Sequence"/>.</summary>
    public sealed record RunEnded(string RunId, RunStatus Status, string? Error, DateTimeOffset CompletedAt,
        int RoundCount, string? LastToolName, ToolPhase? LastToolPhase, string? Output = null, long Sequence = 0) : RunnerFact<TRef>;

    /// <summary>A run was queued behind the active one; its <c>run_queued</c> has <paramref name="Sequence"/>.</summary>
    public sealed record RunEnqueued(string RunId, TRef? Executor, TRef? Reserver, TimeSpan? Deadline,
        RunRequest? Request = null, long Sequence = 0) : RunnerFact<TRef>;

    /// <summary>A queued run was withdrawn before it started, ending as <paramref name="Status"/>; its
    /// <c>execution_finished</c> has <paramref name="Sequence"/> and time <paramref name="At"/>.</summary>
    public sealed record QueuedRunWithdrawn(string RunId, RunStatus Status = RunStatus.Cancelled, string? Error = null,
        long Sequence = 0, DateTimeOffset At = default) : RunnerFact<TRef>;

    /// <summary>Event sequences up to <paramref name="UpTo"/> may be used. After recovery numbering continues above it,
    /// so sequences stay strictly increasing although the newest events may not have been recorded yet.</summary>
    public sealed record SequencesReserved(long UpTo) : RunnerFact<TRef>;

    /// <summary>Events published by executors (stamped), in order: progress events in batches, tool events at once.</summary>
    public sealed record EventsRecorded(IReadOnlyList<AgentEvent> Events) : RunnerFact<TRef>
    {
        /// <summary>Value equality, element by element.</summary>
        public bool Equals(EventsRecorded? other) => other is not null && Events.SequenceEqual(other.Events);

        /// <inheritdoc />
        public override int GetHashCode() => Events.Count;
    }

    /// <summary>The session was deleted at <paramref name="At"/>: its history is gone, its numbering goes on.</summary>
    public sealed record SessionPurged(DateTimeOffset At) : RunnerFact<TRef>;
}

/// <summary>
/// What a run was asked to be, kept in its record: when it was requested, under which conflict policy, by whom (a
/// built-in <paramref name="Agent"/>, or a worker when null), its <paramref name="Input"/> (JSON text: a managed run's
/// input, a reservation's metadata), the start's idempotency key with a digest of the request it named, and the
/// worker's heartbeat timeout.
/// </summary>
public sealed record RunRequest(
    DateTimeOffset CreatedAt,
    ConflictPolicy OnConflict,
    string? Agent = null,
    string? Input = null,
    string? IdempotencyKey = null,
    string? RequestDigest = null,
    TimeSpan? HeartbeatTimeout = null)
{
    /// <summary>What <paramref name="reserve"/> asks for, received at <paramref name="now"/>.</summary>
    public static RunRequest Of(RunnerCommands.Reserve reserve, DateTimeOffset now) => new(now, reserve.OnConflict, reserve.Agent, reserve.Input,
        reserve.IdempotencyKey,
        reserve.IdempotencyKey is null ? null
            : RunnerState<Akka.Actor.IActorRef>.RequestDigest(reserve.OnConflict, reserve.Deadline, reserve.Agent, reserve.Input, reserve.HeartbeatTimeout),
        reserve.HeartbeatTimeout);
}

/// <summary>Who asked for a run's cancellation (<see cref="RunnerFact{TRef}.CancelRequested.By"/>).</summary>
public static class CancelSources
{
    /// <summary>A caller's <c>Cancel</c>.</summary>
    public const string Caller = "caller";

    /// <summary>A newer run under <see cref="ConflictPolicy.Interrupt"/>.</summary>
    public const string Interrupt = "interrupt";

    /// <summary>The run's deadline passed.</summary>
    public const string Deadline = "deadline";

    /// <summary>The node shut down.</summary>
    public const string Shutdown = "shutdown";
}

/// <summary>Marker of <see cref="RunnerFact{TRef}"/> (for serializer bindings).</summary>
public interface IRunnerFact;

/// <summary>
/// A fact of an in-memory session, published on the EventStream when <see cref="RunnerSettings.PublishFacts"/> is on: the
/// same facts a durable session records in its journal (tagged <see cref="SessionFacts.Tag"/>), for the read model.
/// </summary>
public sealed record SessionFactRecorded(string SessionId, RunnerFact<Akka.Actor.IActorRef> Fact);

/// <summary>Where a read model finds sessions' facts.</summary>
public static class SessionFacts
{
    /// <summary>The journal tag of every fact a durable session records (but sequence reservations, which no model
    /// needs): an events-by-tag query over it is the stream of all sessions' facts, in journal order.</summary>
    public const string Tag = "bamboo-session";
}

/// <summary>
/// A session's durable state at one point (a persistence snapshot): everything <see cref="RunnerFact{TRef}"/>s build.
/// </summary>
public sealed record DurableRunnerState<TRef>(
    RunStatus Status,
    string? RunId,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    string? Error,
    bool CancelRequested,
    TRef? Executor,
    DateTimeOffset? DeadlineAt,
    int RoundCount,
    string? LastToolName,
    ToolPhase? LastToolPhase,
    long ReservedSequence,
    IReadOnlyList<RunnerFact<TRef>.RunEnqueued> Queue) : IRunnerFact where TRef : class
{
    /// <summary>What the current (or last) run was asked to be.</summary>
    public RunRequest? Request { get; init; }

    /// <summary>Who queued the running run (told again that it started when it is recovered).</summary>
    public TRef? Reserver { get; init; }

    /// <summary>The last run's output (JSON text).</summary>
    public string? Output { get; init; }

    /// <summary>Why the current run's cancellation was requested.</summary>
    public string? CancelReason { get; init; }

    /// <summary>Who requested it (<see cref="CancelSources"/>).</summary>
    public string? CancelledBy { get; init; }

    /// <summary>Sequence of the latest event recorded (numbering resumes above <see cref="ReservedSequence"/>).</summary>
    public long LastSequence { get; init; }

    /// <summary>The events kept for replay, oldest first: the retained ones, and the critical ones older than them.</summary>
    public IReadOnlyList<AgentEvent> Events { get; init; } = [];

    /// <summary>The current run's latest budget event.</summary>
    public TokenBudget? LastBudget { get; init; }

    /// <summary>Starts made with an idempotency key, within the idempotency window.</summary>
    public IReadOnlyList<IdempotentStart> Starts { get; init; } = [];

    /// <summary>Value equality, lists compared element by element.</summary>
    public bool Equals(DurableRunnerState<TRef>? other) =>
        other is not null
        && (Status, RunId, StartedAt, CompletedAt, Error, CancelRequested, DeadlineAt, RoundCount, LastToolName, LastToolPhase, ReservedSequence)
        == (other.Status, other.RunId, other.StartedAt, other.CompletedAt, other.Error, other.CancelRequested, other.DeadlineAt,
            other.RoundCount, other.LastToolName, other.LastToolPhase, other.ReservedSequence)
        && (Request, Output, CancelReason, CancelledBy, LastSequence, LastBudget)
        == (other.Request, other.Output, other.CancelReason, other.CancelledBy, other.LastSequence, other.LastBudget)
        && Equals(Executor, other.Executor)
        && Equals(Reserver, other.Reserver)
        && Queue.SequenceEqual(other.Queue)
        && Events.SequenceEqual(other.Events)
        && Starts.SequenceEqual(other.Starts);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Status, RunId, StartedAt, ReservedSequence, Queue.Count, Events.Count);
}
