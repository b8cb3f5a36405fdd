using System.Collections.Frozen;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using Bamboo.Actors.Serialization.Legacy;
using Google.Protobuf;
using static Bamboo.Actors.Protocol.ExecutorSignals;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;
using Fact = Bamboo.Actors.Runners.RunnerFact<Akka.Actor.IActorRef>;
using P = Bamboo.Actors.Serialization.Proto;

namespace Bamboo.Actors.Serialization;

/// <summary>
/// Serializes every Bamboo.Actors message that crosses nodes or is persisted: the commands of
/// <see cref="RunnerCommands"/>, <see cref="ExecutorSignals"/>, the replies of <see cref="RunnerReplies"/>, every
/// <see cref="AgentEvent"/> (with its stamps), <see cref="SessionRunner.Stop"/>, and the durable facts and snapshots
/// of a session (<see cref="RunnerFact{TRef}"/>, <see cref="DurableRunnerState{TRef}"/>). Bound in
/// <c>hocon/serialization.conf</c> (<see cref="Configuration.BambooConfig.Serialization"/>).
/// </summary>
/// <remarks>
/// <para>The format is Protocol Buffers: the schemas are <c>Serialization/Proto/*.proto</c> (their evolution rules and
/// encodings in <c>types.proto</c>), compiled at build time. This class only maps each protocol type to its schema
/// message and back, under a short manifest of its own (<c>C</c> commands and signals, <c>R</c> replies, <c>E</c>
/// events, <c>F</c> facts, <c>S</c> the snapshot) that must never change: journals keep it with every fact.</para>
/// <para>Payloads of the first format (JSON, three-letter manifests) are still read (<see cref="LegacyJsonReader"/>),
/// so journals written by earlier versions recover; nothing writes them.</para>
/// </remarks>
public sealed class BambooSerializer : SerializerWithStringManifest
{
    /// <summary>
    /// The serializer's identifier (the user range starts above Akka's reserved 0-100). Every node of a cluster must
    /// agree on it, and journals store it with every fact: it must never change.
    /// </summary>
    public const int SerializerId = 4711;

    /// <summary>The manifest of every event type: the event's type is the case of its payload.</summary>
    private const string EventManifest = "E1";

    private static readonly FrozenDictionary<Type, string> ManifestByType = new Dictionary<Type, string>
    {
        [typeof(Reserve)] = "C1",
        [typeof(Finalize)] = "C2",
        [typeof(Cancel)] = "C3",
        [typeof(Publish)] = "C4",
        [typeof(GetStatus)] = "C5",
        [typeof(Subscribe)] = "C6",
        [typeof(Unsubscribe)] = "C7",
        [typeof(CancelRun)] = "C8",
        [typeof(SessionRunner.Stop)] = "C9",
        [typeof(Reserved)] = "R1",
        [typeof(AlreadyRunning)] = "R2",
        [typeof(Queued)] = "R3",
        [typeof(Rejected)] = "R4",
        [typeof(Finalized)] = "R5",
        [typeof(StaleRun)] = "R6",
        [typeof(AlreadyFinalized)] = "R7",
        [typeof(CancelRequested)] = "R8",
        [typeof(NothingToCancel)] = "R9",
        [typeof(Published)] = "R10",
        [typeof(Subscribed)] = "R11",
        [typeof(Unsubscribed)] = "R12",
        [typeof(Unavailable)] = "R13",
        [typeof(InvalidCommand)] = "R14",
        [typeof(RunnerSnapshot)] = "R15",
        [typeof(ExecutionStarted)] = EventManifest,
        [typeof(RunQueued)] = EventManifest,
        [typeof(RunCancelling)] = EventManifest,
        [typeof(ExecutionFinished)] = EventManifest,
        [typeof(TokenDelta)] = EventManifest,
        [typeof(ToolStarted)] = EventManifest,
        [typeof(ToolLifecycle)] = EventManifest,
        [typeof(RunnerProgress)] = EventManifest,
        [typeof(TokenBudgetUpdated)] = EventManifest,
        [typeof(ReplayGap)] = EventManifest,
        [typeof(Fact.RunStarted)] = "F1",
        [typeof(Fact.CancelRequested)] = "F2",
        [typeof(Fact.RunEnded)] = "F3",
        [typeof(Fact.RunEnqueued)] = "F4",
        [typeof(Fact.QueuedRunWithdrawn)] = "F5",
        [typeof(Fact.SequencesReserved)] = "F6",
        [typeof(DurableRunnerState<IActorRef>)] = "S1",
    }.ToFrozenDictionary();

    /// <summary>Created by Akka's serialization extension from the <c>akka.actor.serializers</c> configuration.</summary>
    public BambooSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    /// <inheritdoc />
    public override int Identifier => SerializerId;

    /// <summary>Every manifest this serializer writes (it also reads those of <see cref="LegacyJsonReader"/>).</summary>
    public static IReadOnlyCollection<string> Manifests { get; } = ManifestByType.Values.Distinct().ToArray();

    /// <summary>Every type this serializer writes and reads.</summary>
    public static IReadOnlyCollection<Type> SupportedTypes => ManifestByType.Keys;

    /// <inheritdoc />
    /// <exception cref="SerializationException"><paramref name="o"/> is not a Bamboo.Actors message.</exception>
    public override string Manifest(object o) =>
        o is not null && ManifestByType.TryGetValue(o.GetType(), out var manifest) ? manifest : throw NotOurs(o);

    /// <inheritdoc />
    /// <exception cref="SerializationException"><paramref name="obj"/> is not a Bamboo.Actors message.</exception>
    public override byte[] ToBinary(object obj) => obj is SessionRunner.Stop ? [] : ToProto(obj).ToByteArray();

    /// <inheritdoc />
    /// <exception cref="SerializationException">The manifest is unknown or the payload is not a valid message of it.</exception>
    public override object FromBinary(byte[] bytes, string manifest)
    {
        try
        {
            return manifest switch
            {
                "C1" => FromProto(P.Reserve.Parser.ParseFrom(bytes)),
                "C2" => FromProto(P.Finalize.Parser.ParseFrom(bytes)),
                "C3" => FromProto(P.Cancel.Parser.ParseFrom(bytes)),
                "C4" => FromProto(P.Publish.Parser.ParseFrom(bytes)),
                "C5" => new GetStatus(P.GetStatus.Parser.ParseFrom(bytes).SessionId),
                "C6" => FromProto(P.Subscribe.Parser.ParseFrom(bytes)),
                "C7" => FromProto(P.Unsubscribe.Parser.ParseFrom(bytes)),
                "C8" => FromProto(P.CancelRun.Parser.ParseFrom(bytes)),
                "C9" => SessionRunner.Stop.Instance,
                "R1" => FromProto(P.Reserved.Parser.ParseFrom(bytes)),
                "R2" => FromProto(P.AlreadyRunning.Parser.ParseFrom(bytes)),
                "R3" => FromProto(P.Queued.Parser.ParseFrom(bytes)),
                "R4" => FromProto(P.Rejected.Parser.ParseFrom(bytes)),
                "R5" => FromProto(P.Finalized.Parser.ParseFrom(bytes)),
                "R6" => FromProto(P.StaleRun.Parser.ParseFrom(bytes)),
                "R7" => FromProto(P.AlreadyFinalized.Parser.ParseFrom(bytes)),
                "R8" => FromProto(P.CancelRequested.Parser.ParseFrom(bytes)),
                "R9" => new NothingToCancel(P.NothingToCancel.Parser.ParseFrom(bytes).SessionId),
                "R10" => FromProto(P.Published.Parser.ParseFrom(bytes)),
                "R11" => FromProto(P.Subscribed.Parser.ParseFrom(bytes)),
                "R12" => new Unsubscribed(P.Unsubscribed.Parser.ParseFrom(bytes).SessionId),
                "R13" => FromProto(P.Unavailable.Parser.ParseFrom(bytes)),
                "R14" => FromProto(P.InvalidCommand.Parser.ParseFrom(bytes)),
                "R15" => FromProto(P.RunnerSnapshot.Parser.ParseFrom(bytes)),
                EventManifest => FromProto(P.Event.Parser.ParseFrom(bytes)),
                "F1" => FromProto(P.RunStartedFact.Parser.ParseFrom(bytes)),
                "F2" => FromProto(P.CancelRequestedFact.Parser.ParseFrom(bytes)),
                "F3" => FromProto(P.RunEndedFact.Parser.ParseFrom(bytes)),
                "F4" => FromProto(P.RunEnqueuedFact.Parser.ParseFrom(bytes)),
                "F5" => new Fact.QueuedRunWithdrawn(P.QueuedRunWithdrawnFact.Parser.ParseFrom(bytes).RunId),
                "F6" => new Fact.SequencesReserved(P.SequencesReservedFact.Parser.ParseFrom(bytes).UpTo),
                "S1" => FromProto(P.DurableRunnerState.Parser.ParseFrom(bytes)),
                _ when manifest is not null && LegacyJsonReader.Reads(manifest) => LegacyJsonReader.Read(manifest, bytes, system),
                _ => throw new SerializationException(
                    $"{nameof(BambooSerializer)} (id {SerializerId}) does not know the manifest '{manifest}'. The message was " +
                    "probably written by a node running a newer Bamboo.Actors version."),
            };
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or System.Text.Json.JsonException or ArgumentException or InvalidOperationException)
        {
            throw new SerializationException(
                $"{nameof(BambooSerializer)} could not read a '{manifest}' payload of {bytes.Length} bytes: {e.Message}", e);
        }
    }

    private static SerializationException NotOurs(object? o) => new(
        $"{nameof(BambooSerializer)} cannot serialize {o?.GetType().FullName ?? "null"}: it handles Bamboo.Actors " +
        "protocol messages, events and facts only. Check the serialization-bindings.");

    private static IMessage ToProto(object message)
    {
        switch (message)
        {
            case Reserve m:
                var reserve = new P.Reserve { SessionId = m.SessionId, OnConflict = (P.ConflictPolicy)m.OnConflict, Executor = Path(m.Executor) };
                if (m.Deadline is { } deadline) reserve.Deadline = deadline.Ticks;
                return reserve;
            case Finalize m:
                return new P.Finalize
                {
                    SessionId = m.SessionId, RunId = m.RunId,
                    Status = (P.RunStatus)(m.Outcome?.Status ?? RunStatus.Pending), Error = m.Outcome?.Error ?? "",
                };
            case Cancel m:
                var cancel = new P.Cancel { SessionId = m.SessionId };
                if (m.RunId is not null) cancel.RunId = m.RunId;
                if (m.Reason is not null) cancel.Reason = m.Reason;
                return cancel;
            case Publish m:
                return new P.Publish { SessionId = m.SessionId, RunId = m.RunId, Event = m.Event is null ? null : ToProto(m.Event), Acknowledge = m.Acknowledge };
            case GetStatus m:
                return new P.GetStatus { SessionId = m.SessionId };
            case Subscribe m:
                var subscribe = new P.Subscribe { SessionId = m.SessionId, Subscriber = Path(m.Subscriber) };
                if (m.AfterSequence is { } after) subscribe.AfterSequence = after;
                return subscribe;
            case Unsubscribe m:
                return new P.Unsubscribe { SessionId = m.SessionId, Subscriber = Path(m.Subscriber) };
            case CancelRun m:
                return new P.CancelRun { SessionId = m.SessionId, RunId = m.RunId, Reason = m.Reason };

            case Reserved m:
                return new P.Reserved { SessionId = m.SessionId, RunId = m.RunId, StartedAt = m.StartedAt.UtcTicks };
            case AlreadyRunning m:
                return new P.AlreadyRunning { SessionId = m.SessionId, RunId = m.RunId };
            case Queued m:
                return new P.Queued { SessionId = m.SessionId, RunId = m.RunId, Position = m.Position };
            case Rejected m:
                var rejected = new P.Rejected { SessionId = m.SessionId, Reason = m.Reason };
                if (m.RunId is not null) rejected.RunId = m.RunId;
                return rejected;
            case Finalized m:
                var finalized = new P.Finalized { SessionId = m.SessionId, RunId = m.RunId, Status = (P.RunStatus)m.Status };
                if (m.Error is not null) finalized.Error = m.Error;
                return finalized;
            case StaleRun m:
                var stale = new P.StaleRun { SessionId = m.SessionId, RunId = m.RunId };
                if (m.CurrentRunId is not null) stale.CurrentRunId = m.CurrentRunId;
                return stale;
            case AlreadyFinalized m:
                return new P.AlreadyFinalized { SessionId = m.SessionId, RunId = m.RunId, Status = (P.RunStatus)m.Status };
            case CancelRequested m:
                return new P.CancelRequested { SessionId = m.SessionId, RunId = m.RunId };
            case NothingToCancel m:
                return new P.NothingToCancel { SessionId = m.SessionId };
            case Published m:
                return new P.Published { SessionId = m.SessionId, RunId = m.RunId, Sequence = m.Sequence, CancelRequested = m.CancelRequested };
            case Subscribed m:
                return new P.Subscribed { SessionId = m.SessionId, LastSequence = m.LastSequence };
            case Unsubscribed m:
                return new P.Unsubscribed { SessionId = m.SessionId };
            case Unavailable m:
                return new P.Unavailable { SessionId = m.SessionId, Reason = m.Reason };
            case InvalidCommand m:
                var invalid = new P.InvalidCommand { Reason = m.Reason };
                if (m.SessionId is not null) invalid.SessionId = m.SessionId;
                return invalid;
            case RunnerSnapshot m:
                var snapshot = new P.RunnerSnapshot
                {
                    SessionId = m.SessionId, Status = (P.RunStatus)m.Status, RoundCount = m.RoundCount, CancelRequested = m.CancelRequested,
                    QueueLength = m.QueueLength, SubscriberCount = m.SubscriberCount, LastSequence = m.LastSequence,
                };
                if (m.RunId is not null) snapshot.RunId = m.RunId;
                if (m.StartedAt is { } started) snapshot.StartedAt = started.UtcTicks;
                if (m.CompletedAt is { } completed) snapshot.CompletedAt = completed.UtcTicks;
                if (m.Error is not null) snapshot.Error = m.Error;
                if (m.LastEventAt is { } lastEvent) snapshot.LastEventAt = lastEvent.UtcTicks;
                if (m.LastToolName is not null) snapshot.LastToolName = m.LastToolName;
                if (m.LastToolPhase is { } phase) snapshot.LastToolPhase = (P.ToolPhase)phase;
                if (m.DeadlineAt is { } deadlineAt) snapshot.DeadlineAt = deadlineAt.UtcTicks;
                return snapshot;

            case AgentEvent e:
                return ToProto(e);

            case Fact.RunStarted m:
                return new P.RunStartedFact { RunId = m.RunId, StartedAt = m.StartedAt.UtcTicks, DeadlineAt = m.DeadlineAt.UtcTicks, Executor = Path(m.Executor) };
            case Fact.CancelRequested m:
                return new P.CancelRequestedFact { RunId = m.RunId, Reason = m.Reason };
            case Fact.RunEnded m:
                var ended = new P.RunEndedFact { RunId = m.RunId, Status = (P.RunStatus)m.Status, CompletedAt = m.CompletedAt.UtcTicks, RoundCount = m.RoundCount };
                if (m.Error is not null) ended.Error = m.Error;
                if (m.LastToolName is not null) ended.LastToolName = m.LastToolName;
                if (m.LastToolPhase is { } endedPhase) ended.LastToolPhase = (P.ToolPhase)endedPhase;
                return ended;
            case Fact.RunEnqueued m:
                return ToProto(m);
            case Fact.QueuedRunWithdrawn m:
                return new P.QueuedRunWithdrawnFact { RunId = m.RunId };
            case Fact.SequencesReserved m:
                return new P.SequencesReservedFact { UpTo = m.UpTo };
            case DurableRunnerState<IActorRef> m:
                var state = new P.DurableRunnerState
                {
                    Status = (P.RunStatus)m.Status, CancelRequested = m.CancelRequested, Executor = Path(m.Executor),
                    RoundCount = m.RoundCount, ReservedSequence = m.ReservedSequence,
                };
                if (m.RunId is not null) state.RunId = m.RunId;
                if (m.StartedAt is { } stateStarted) state.StartedAt = stateStarted.UtcTicks;
                if (m.CompletedAt is { } stateCompleted) state.CompletedAt = stateCompleted.UtcTicks;
                if (m.Error is not null) state.Error = m.Error;
                if (m.DeadlineAt is { } stateDeadline) state.DeadlineAt = stateDeadline.UtcTicks;
                if (m.LastToolName is not null) state.LastToolName = m.LastToolName;
                if (m.LastToolPhase is { } statePhase) state.LastToolPhase = (P.ToolPhase)statePhase;
                foreach (var queued in m.Queue) state.Queue.Add(ToProto(queued));
                return state;

            default:
                throw NotOurs(message);
        }
    }

    private static P.Event ToProto(AgentEvent e)
    {
        // An executor's event is not stamped yet: empty stamps take no bytes.
        var proto = new P.Event { SessionId = e.SessionId, RunId = e.RunId, Sequence = e.Sequence, Timestamp = e.Timestamp.UtcTicks };
        switch (e)
        {
            case ExecutionStarted:
                proto.ExecutionStarted = new P.ExecutionStarted();
                break;
            case RunQueued m:
                proto.RunQueued = new P.RunQueued { Position = m.Position };
                break;
            case RunCancelling m:
                proto.RunCancelling = new P.RunCancelling();
                if (m.Reason is not null) proto.RunCancelling.Reason = m.Reason;
                break;
            case ExecutionFinished m:
                proto.ExecutionFinished = new P.ExecutionFinished { Status = (P.RunStatus)m.Status };
                if (m.Error is not null) proto.ExecutionFinished.Error = m.Error;
                break;
            case TokenDelta m:
                proto.TokenDelta = new P.TokenDelta { Text = m.Text };
                break;
            case ToolStarted m:
                proto.ToolStarted = new P.ToolStarted { ToolName = m.ToolName };
                break;
            case ToolLifecycle m:
                proto.ToolLifecycle = new P.ToolLifecycle { ToolName = m.ToolName, Phase = (P.ToolPhase)m.Phase };
                break;
            case RunnerProgress m:
                proto.RunnerProgress = new P.RunnerProgress { RoundCount = m.RoundCount };
                break;
            case TokenBudgetUpdated m:
                proto.TokenBudgetUpdated = new P.TokenBudgetUpdated { Used = m.Used, Limit = m.Limit };
                break;
            case ReplayGap m:
                proto.ReplayGap = new P.ReplayGap { FromSequence = m.FromSequence, ToSequence = m.ToSequence };
                break;
            default:
                throw NotOurs(e);
        }
        return proto;
    }

    private static P.RunEnqueuedFact ToProto(Fact.RunEnqueued m)
    {
        var proto = new P.RunEnqueuedFact { RunId = m.RunId, Executor = Path(m.Executor), Reserver = Path(m.Reserver) };
        if (m.Deadline is { } deadline) proto.Deadline = deadline.Ticks;
        return proto;
    }

    private Reserve FromProto(P.Reserve p) =>
        new(p.SessionId, (ConflictPolicy)p.OnConflict, Resolve(p.Executor), p.HasDeadline ? TimeSpan.FromTicks(p.Deadline) : null);

    private static Finalize FromProto(P.Finalize p) =>
        new(p.SessionId, p.RunId, p.Status == P.RunStatus.Pending ? null! : RunOutcome.Of((RunStatus)p.Status, p.Error));

    private static Cancel FromProto(P.Cancel p) => new(p.SessionId, p.HasRunId ? p.RunId : null, p.HasReason ? p.Reason : null);

    private static Publish FromProto(P.Publish p) => new(p.SessionId, p.RunId, p.Event is null ? null! : FromProto(p.Event), p.Acknowledge);

    private Subscribe FromProto(P.Subscribe p) => new(p.SessionId, Resolve(p.Subscriber)!, p.HasAfterSequence ? p.AfterSequence : null);

    private Unsubscribe FromProto(P.Unsubscribe p) => new(p.SessionId, Resolve(p.Subscriber)!);

    private static CancelRun FromProto(P.CancelRun p) => new(p.SessionId, p.RunId, p.Reason);

    private static Reserved FromProto(P.Reserved p) => new(p.SessionId, p.RunId, Instant(p.StartedAt));

    private static AlreadyRunning FromProto(P.AlreadyRunning p) => new(p.SessionId, p.RunId);

    private static Queued FromProto(P.Queued p) => new(p.SessionId, p.RunId, p.Position);

    private static Rejected FromProto(P.Rejected p) => new(p.SessionId, p.Reason, p.HasRunId ? p.RunId : null);

    private static Finalized FromProto(P.Finalized p) => new(p.SessionId, p.RunId, (RunStatus)p.Status, p.HasError ? p.Error : null);

    private static StaleRun FromProto(P.StaleRun p) => new(p.SessionId, p.RunId, p.HasCurrentRunId ? p.CurrentRunId : null);

    private static AlreadyFinalized FromProto(P.AlreadyFinalized p) => new(p.SessionId, p.RunId, (RunStatus)p.Status);

    private static CancelRequested FromProto(P.CancelRequested p) => new(p.SessionId, p.RunId);

    private static Published FromProto(P.Published p) => new(p.SessionId, p.RunId, p.Sequence, p.CancelRequested);

    private static Subscribed FromProto(P.Subscribed p) => new(p.SessionId, p.LastSequence);

    private static Unavailable FromProto(P.Unavailable p) => new(p.SessionId, p.Reason);

    private static InvalidCommand FromProto(P.InvalidCommand p) => new(p.HasSessionId ? p.SessionId : null, p.Reason);

    private static RunnerSnapshot FromProto(P.RunnerSnapshot p) => new(
        p.SessionId, (RunStatus)p.Status, p.HasRunId ? p.RunId : null,
        p.HasStartedAt ? Instant(p.StartedAt) : null, p.HasCompletedAt ? Instant(p.CompletedAt) : null, p.HasError ? p.Error : null,
        p.HasLastEventAt ? Instant(p.LastEventAt) : null, p.RoundCount, p.HasLastToolName ? p.LastToolName : null,
        p.HasLastToolPhase ? (ToolPhase)p.LastToolPhase : null, p.CancelRequested, p.QueueLength, p.SubscriberCount,
        p.LastSequence, p.HasDeadlineAt ? Instant(p.DeadlineAt) : null);

    private static AgentEvent FromProto(P.Event p)
    {
        AgentEvent payload = p.PayloadCase switch
        {
            P.Event.PayloadOneofCase.ExecutionStarted => new ExecutionStarted(),
            P.Event.PayloadOneofCase.RunQueued => new RunQueued(p.RunQueued.Position),
            P.Event.PayloadOneofCase.RunCancelling => new RunCancelling(p.RunCancelling.HasReason ? p.RunCancelling.Reason : null),
            P.Event.PayloadOneofCase.ExecutionFinished => new ExecutionFinished((RunStatus)p.ExecutionFinished.Status,
                p.ExecutionFinished.HasError ? p.ExecutionFinished.Error : null),
            P.Event.PayloadOneofCase.TokenDelta => new TokenDelta(p.TokenDelta.Text),
            P.Event.PayloadOneofCase.ToolStarted => new ToolStarted(p.ToolStarted.ToolName),
            P.Event.PayloadOneofCase.ToolLifecycle => new ToolLifecycle(p.ToolLifecycle.ToolName, (ToolPhase)p.ToolLifecycle.Phase),
            P.Event.PayloadOneofCase.RunnerProgress => new RunnerProgress(p.RunnerProgress.RoundCount),
            P.Event.PayloadOneofCase.TokenBudgetUpdated => new TokenBudgetUpdated(p.TokenBudgetUpdated.Used, p.TokenBudgetUpdated.Limit),
            P.Event.PayloadOneofCase.ReplayGap => new ReplayGap(p.ReplayGap.FromSequence, p.ReplayGap.ToSequence),
            _ => throw new InvalidOperationException("The event has no payload of a type this version knows (written by a newer version?)."),
        };
        return payload with { SessionId = p.SessionId, RunId = p.RunId, Sequence = p.Sequence, Timestamp = Instant(p.Timestamp) };
    }

    private Fact.RunStarted FromProto(P.RunStartedFact p) =>
        new(p.RunId, Instant(p.StartedAt), Instant(p.DeadlineAt), Resolve(p.Executor));

    private static Fact.CancelRequested FromProto(P.CancelRequestedFact p) => new(p.RunId, p.Reason);

    private static Fact.RunEnded FromProto(P.RunEndedFact p) => new(p.RunId, (RunStatus)p.Status, p.HasError ? p.Error : null,
        Instant(p.CompletedAt), p.RoundCount, p.HasLastToolName ? p.LastToolName : null, p.HasLastToolPhase ? (ToolPhase)p.LastToolPhase : null);

    private Fact.RunEnqueued FromProto(P.RunEnqueuedFact p) =>
        new(p.RunId, Resolve(p.Executor), Resolve(p.Reserver), p.HasDeadline ? TimeSpan.FromTicks(p.Deadline) : null);

    private DurableRunnerState<IActorRef> FromProto(P.DurableRunnerState p) => new(
        (RunStatus)p.Status, p.HasRunId ? p.RunId : null, p.HasStartedAt ? Instant(p.StartedAt) : null,
        p.HasCompletedAt ? Instant(p.CompletedAt) : null, p.HasError ? p.Error : null, p.CancelRequested, Resolve(p.Executor),
        p.HasDeadlineAt ? Instant(p.DeadlineAt) : null, p.RoundCount, p.HasLastToolName ? p.LastToolName : null,
        p.HasLastToolPhase ? (ToolPhase)p.LastToolPhase : null, p.ReservedSequence, p.Queue.Select(FromProto).ToArray());

    /// <summary>An instant from its UTC ticks (see <c>types.proto</c>).</summary>
    private static DateTimeOffset Instant(long utcTicks) => new(utcTicks, TimeSpan.Zero);

    private static string Path(IActorRef? actor) =>
        actor is null ? "" : Akka.Serialization.Serialization.SerializedActorPath(actor);

    private IActorRef? Resolve(string path) => path.Length == 0 ? null : system.Provider.ResolveActorRef(path);
}
