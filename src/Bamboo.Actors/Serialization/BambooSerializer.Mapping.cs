using Akka.Actor;
using Bamboo.Actors.Events;
using Bamboo.Actors.History;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using static Bamboo.Actors.Protocol.ExecutorSignals;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;
using Fact = Bamboo.Actors.Runners.RunnerFact<Akka.Actor.IActorRef>;
using P = Bamboo.Actors.Serialization.Proto;

namespace Bamboo.Actors.Serialization;

// Each protocol type and its schema message, family by family as in Proto/*.proto. A manifest is written into journals
// and onto the wire: never change or reuse one; a new type gets the next number of its family.
public sealed partial class BambooSerializer
{
    private static Codec[] CreateCodecs() =>
    [
        // commands.proto
        Of<Reserve, P.Reserve>("C1", P.Reserve.Parser, m =>
            {
                var p = new P.Reserve { SessionId = m.SessionId, OnConflict = (P.ConflictPolicy)m.OnConflict, Executor = Path(m.Executor) };
                if (m.Deadline is { } deadline) p.Deadline = deadline.Ticks;
                if (m.Agent is not null) p.Agent = m.Agent;
                if (m.Input is not null) p.Input = m.Input;
                if (m.IdempotencyKey is not null) p.IdempotencyKey = m.IdempotencyKey;
                if (m.HeartbeatTimeout is { } heartbeat) p.HeartbeatTimeout = heartbeat.Ticks;
                return p;
            },
            (p, s) => new Reserve(p.SessionId, (ConflictPolicy)p.OnConflict, s.Resolve(p.Executor), Duration(p.HasDeadline, p.Deadline),
                Text(p.HasAgent, p.Agent), Text(p.HasInput, p.Input), Text(p.HasIdempotencyKey, p.IdempotencyKey),
                Duration(p.HasHeartbeatTimeout, p.HeartbeatTimeout))),
        Of<Finalize, P.Finalize>("C2", P.Finalize.Parser, m =>
            {
                var p = new P.Finalize { SessionId = m.SessionId, RunId = m.RunId, Status = (P.RunStatus)(m.Outcome?.Status ?? RunStatus.Pending), Error = m.Outcome?.Error ?? "" };
                if (m.Output is not null) p.Output = m.Output;
                return p;
            },
            (p, _) => new Finalize(p.SessionId, p.RunId, p.Status == P.RunStatus.Pending ? null! : RunOutcome.Of((RunStatus)p.Status, p.Error),
                Text(p.HasOutput, p.Output))),
        Of<Cancel, P.Cancel>("C3", P.Cancel.Parser, m =>
            {
                var p = new P.Cancel { SessionId = m.SessionId };
                if (m.RunId is not null) p.RunId = m.RunId;
                if (m.Reason is not null) p.Reason = m.Reason;
                return p;
            },
            (p, _) => new Cancel(p.SessionId, Text(p.HasRunId, p.RunId), Text(p.HasReason, p.Reason))),
        Of<Publish, P.Publish>("C4", P.Publish.Parser,
            m => new P.Publish { SessionId = m.SessionId, RunId = m.RunId, Event = m.Event is null ? null : ToProto(m.Event), Acknowledge = m.Acknowledge },
            (p, _) => new Publish(p.SessionId, p.RunId, p.Event is null ? null! : FromProto(p.Event), p.Acknowledge)),
        Of<GetStatus, P.GetStatus>("C5", P.GetStatus.Parser,
            m => new P.GetStatus { SessionId = m.SessionId },
            (p, _) => new GetStatus(p.SessionId)),
        Of<Subscribe, P.Subscribe>("C6", P.Subscribe.Parser, m =>
            {
                var p = new P.Subscribe { SessionId = m.SessionId, Subscriber = Path(m.Subscriber) };
                if (m.AfterSequence is { } after) p.AfterSequence = after;
                return p;
            },
            (p, s) => new Subscribe(p.SessionId, s.Resolve(p.Subscriber)!, p.HasAfterSequence ? p.AfterSequence : null)),
        Of<Unsubscribe, P.Unsubscribe>("C7", P.Unsubscribe.Parser,
            m => new P.Unsubscribe { SessionId = m.SessionId, Subscriber = Path(m.Subscriber) },
            (p, s) => new Unsubscribe(p.SessionId, s.Resolve(p.Subscriber)!)),
        Of<CancelRun, P.CancelRun>("C8", P.CancelRun.Parser,
            m => new P.CancelRun { SessionId = m.SessionId, RunId = m.RunId, Reason = m.Reason },
            (p, _) => new CancelRun(p.SessionId, p.RunId, p.Reason)),
        Of<SessionRunner.Stop, P.Stop>("C9", P.Stop.Parser, _ => new P.Stop(), (_, _) => SessionRunner.Stop.Instance),
        Of<Heartbeat, P.Heartbeat>("C10", P.Heartbeat.Parser,
            m => new P.Heartbeat { SessionId = m.SessionId, RunId = m.RunId },
            (p, _) => new Heartbeat(p.SessionId, p.RunId)),
        Of<GetRun, P.GetRun>("C11", P.GetRun.Parser,
            m => new P.GetRun { SessionId = m.SessionId, RunId = m.RunId },
            (p, _) => new GetRun(p.SessionId, p.RunId)),
        Of<DeleteSession, P.DeleteSession>("C12", P.DeleteSession.Parser,
            m => new P.DeleteSession { SessionId = m.SessionId },
            (p, _) => new DeleteSession(p.SessionId)),

        // replies.proto
        Of<Reserved, P.Reserved>("R1", P.Reserved.Parser,
            m => new P.Reserved { SessionId = m.SessionId, RunId = m.RunId, StartedAt = m.StartedAt.UtcTicks, Replayed = m.Replayed },
            (p, _) => new Reserved(p.SessionId, p.RunId, Instant(p.StartedAt), p.Replayed)),
        Of<AlreadyRunning, P.AlreadyRunning>("R2", P.AlreadyRunning.Parser,
            m => new P.AlreadyRunning { SessionId = m.SessionId, RunId = m.RunId },
            (p, _) => new AlreadyRunning(p.SessionId, p.RunId)),
        Of<Queued, P.Queued>("R3", P.Queued.Parser,
            m => new P.Queued { SessionId = m.SessionId, RunId = m.RunId, Position = m.Position, Replayed = m.Replayed },
            (p, _) => new Queued(p.SessionId, p.RunId, p.Position, p.Replayed)),
        Of<Rejected, P.Rejected>("R4", P.Rejected.Parser, m =>
            {
                var p = new P.Rejected { SessionId = m.SessionId, Reason = m.Reason };
                if (m.RunId is not null) p.RunId = m.RunId;
                return p;
            },
            (p, _) => new Rejected(p.SessionId, p.Reason, Text(p.HasRunId, p.RunId))),
        Of<Finalized, P.Finalized>("R5", P.Finalized.Parser, m =>
            {
                var p = new P.Finalized { SessionId = m.SessionId, RunId = m.RunId, Status = (P.RunStatus)m.Status };
                if (m.Error is not null) p.Error = m.Error;
                return p;
            },
            (p, _) => new Finalized(p.SessionId, p.RunId, (RunStatus)p.Status, Text(p.HasError, p.Error))),
        Of<StaleRun, P.StaleRun>("R6", P.StaleRun.Parser, m =>
            {
                var p = new P.StaleRun { SessionId = m.SessionId, RunId = m.RunId };
                if (m.CurrentRunId is not null) p.CurrentRunId = m.CurrentRunId;
                return p;
            },
            (p, _) => new StaleRun(p.SessionId, p.RunId, Text(p.HasCurrentRunId, p.CurrentRunId))),
        Of<AlreadyFinalized, P.AlreadyFinalized>("R7", P.AlreadyFinalized.Parser,
            m => new P.AlreadyFinalized { SessionId = m.SessionId, RunId = m.RunId, Status = (P.RunStatus)m.Status },
            (p, _) => new AlreadyFinalized(p.SessionId, p.RunId, (RunStatus)p.Status)),
        Of<CancelRequested, P.CancelRequested>("R8", P.CancelRequested.Parser,
            m => new P.CancelRequested { SessionId = m.SessionId, RunId = m.RunId },
            (p, _) => new CancelRequested(p.SessionId, p.RunId)),
        Of<NothingToCancel, P.NothingToCancel>("R9", P.NothingToCancel.Parser,
            m => new P.NothingToCancel { SessionId = m.SessionId },
            (p, _) => new NothingToCancel(p.SessionId)),
        Of<Published, P.Published>("R10", P.Published.Parser,
            m => new P.Published { SessionId = m.SessionId, RunId = m.RunId, Sequence = m.Sequence, CancelRequested = m.CancelRequested },
            (p, _) => new Published(p.SessionId, p.RunId, p.Sequence, p.CancelRequested)),
        Of<Subscribed, P.Subscribed>("R11", P.Subscribed.Parser,
            m => new P.Subscribed { SessionId = m.SessionId, LastSequence = m.LastSequence, Durable = m.Durable },
            (p, _) => new Subscribed(p.SessionId, p.LastSequence, p.Durable)),
        Of<Unsubscribed, P.Unsubscribed>("R12", P.Unsubscribed.Parser,
            m => new P.Unsubscribed { SessionId = m.SessionId },
            (p, _) => new Unsubscribed(p.SessionId)),
        Of<Unavailable, P.Unavailable>("R13", P.Unavailable.Parser,
            m => new P.Unavailable { SessionId = m.SessionId, Reason = m.Reason },
            (p, _) => new Unavailable(p.SessionId, p.Reason)),
        Of<InvalidCommand, P.InvalidCommand>("R14", P.InvalidCommand.Parser, m =>
            {
                var p = new P.InvalidCommand { Reason = m.Reason };
                if (m.SessionId is not null) p.SessionId = m.SessionId;
                return p;
            },
            (p, _) => new InvalidCommand(Text(p.HasSessionId, p.SessionId), p.Reason)),
        Of<RunnerSnapshot, P.RunnerSnapshot>("R15", P.RunnerSnapshot.Parser, m =>
            {
                var p = new P.RunnerSnapshot
                {
                    SessionId = m.SessionId, Status = (P.RunStatus)m.Status, RoundCount = m.RoundCount, CancelRequested = m.CancelRequested,
                    QueueLength = m.QueueLength, SubscriberCount = m.SubscriberCount, LastSequence = m.LastSequence,
                };
                if (m.RunId is not null) p.RunId = m.RunId;
                if (m.StartedAt is { } startedAt) p.StartedAt = startedAt.UtcTicks;
                if (m.CompletedAt is { } completedAt) p.CompletedAt = completedAt.UtcTicks;
                if (m.Error is not null) p.Error = m.Error;
                if (m.LastEventAt is { } lastEventAt) p.LastEventAt = lastEventAt.UtcTicks;
                if (m.LastToolName is not null) p.LastToolName = m.LastToolName;
                if (m.LastToolPhase is { } phase) p.LastToolPhase = (P.ToolPhase)phase;
                if (m.DeadlineAt is { } deadlineAt) p.DeadlineAt = deadlineAt.UtcTicks;
                return p;
            },
            (p, _) => new RunnerSnapshot(p.SessionId, (RunStatus)p.Status, Text(p.HasRunId, p.RunId), Instant(p.HasStartedAt, p.StartedAt),
                Instant(p.HasCompletedAt, p.CompletedAt), Text(p.HasError, p.Error), Instant(p.HasLastEventAt, p.LastEventAt), p.RoundCount,
                Text(p.HasLastToolName, p.LastToolName), p.HasLastToolPhase ? (ToolPhase)p.LastToolPhase : null, p.CancelRequested,
                p.QueueLength, p.SubscriberCount, p.LastSequence, Instant(p.HasDeadlineAt, p.DeadlineAt))),

        Of<RunRecord, P.RunRecord>("R16", P.RunRecord.Parser, ToProto, (p, _) => FromProto(p)),
        Of<UnknownRun, P.UnknownRun>("R17", P.UnknownRun.Parser,
            m => new P.UnknownRun { SessionId = m.SessionId, RunId = m.RunId },
            (p, _) => new UnknownRun(p.SessionId, p.RunId)),
        Of<SessionDeleted, P.SessionDeleted>("R18", P.SessionDeleted.Parser,
            m => new P.SessionDeleted { SessionId = m.SessionId },
            (p, _) => new SessionDeleted(p.SessionId)),
        Of<SessionPage, P.SessionPage>("R19", P.SessionPage.Parser, m =>
            {
                var p = new P.SessionPage { Items = { m.Items.Select(ToProto) } };
                if (m.NextCursor is not null) p.NextCursor = m.NextCursor;
                return p;
            },
            (p, _) => new SessionPage(p.Items.Select(FromProto).ToList(), Text(p.HasNextCursor, p.NextCursor))),
        Of<RunPage, P.RunPage>("R20", P.RunPage.Parser, m =>
            {
                var p = new P.RunPage { SessionId = m.SessionId, Items = { m.Items.Select(ToProto) } };
                if (m.NextCursor is not null) p.NextCursor = m.NextCursor;
                return p;
            },
            (p, _) => new RunPage(p.SessionId, p.Items.Select(FromProto).ToList(), Text(p.HasNextCursor, p.NextCursor))),

        // events.proto: one manifest for every event type, whose type is the case of the payload.
        new("E1",
            [typeof(ExecutionStarted), typeof(RunQueued), typeof(RunCancelling), typeof(ExecutionFinished), typeof(TokenDelta),
                typeof(ToolStarted), typeof(ToolLifecycle), typeof(RunnerProgress), typeof(TokenBudget), typeof(ReplayGap)],
            message => ToProto((AgentEvent)message),
            (bytes, _) => FromProto(P.Event.Parser.ParseFrom(bytes.AsSpan()))),

        // durable.proto
        Of<Fact.RunStarted, P.RunStartedFact>("F1", P.RunStartedFact.Parser,
            m => new P.RunStartedFact
            {
                RunId = m.RunId, StartedAt = m.StartedAt.UtcTicks, DeadlineAt = m.DeadlineAt.UtcTicks, Executor = Path(m.Executor),
                Request = ToProto(m.Request), Sequence = m.Sequence, Reserver = Path(m.Reserver),
            },
            (p, s) => new Fact.RunStarted(p.RunId, Instant(p.StartedAt), Instant(p.DeadlineAt), s.Resolve(p.Executor), FromProto(p.Request), p.Sequence,
                s.Resolve(p.Reserver))),
        Of<Fact.CancelRequested, P.CancelRequestedFact>("F2", P.CancelRequestedFact.Parser, m =>
            {
                var p = new P.CancelRequestedFact { RunId = m.RunId, Reason = m.Reason, Sequence = m.Sequence, At = m.At.UtcTicks };
                if (m.By is not null) p.By = m.By;
                return p;
            },
            (p, _) => new Fact.CancelRequested(p.RunId, p.Reason, Text(p.HasBy, p.By), p.Sequence, Instant(p.At))),
        Of<Fact.RunEnded, P.RunEndedFact>("F3", P.RunEndedFact.Parser, m =>
            {
                var p = new P.RunEndedFact
                {
                    RunId = m.RunId, Status = (P.RunStatus)m.Status, CompletedAt = m.CompletedAt.UtcTicks, RoundCount = m.RoundCount, Sequence = m.Sequence,
                };
                if (m.Error is not null) p.Error = m.Error;
                if (m.LastToolName is not null) p.LastToolName = m.LastToolName;
                if (m.LastToolPhase is { } phase) p.LastToolPhase = (P.ToolPhase)phase;
                if (m.Output is not null) p.Output = m.Output;
                return p;
            },
            (p, _) => new Fact.RunEnded(p.RunId, (RunStatus)p.Status, Text(p.HasError, p.Error), Instant(p.CompletedAt), p.RoundCount,
                Text(p.HasLastToolName, p.LastToolName), p.HasLastToolPhase ? (ToolPhase)p.LastToolPhase : null, Text(p.HasOutput, p.Output), p.Sequence)),
        Of<Fact.RunEnqueued, P.RunEnqueuedFact>("F4", P.RunEnqueuedFact.Parser, ToProto, (p, s) => s.FromProto(p)),
        Of<Fact.QueuedRunWithdrawn, P.QueuedRunWithdrawnFact>("F5", P.QueuedRunWithdrawnFact.Parser, m =>
            {
                // Cancelled, the status of facts written before withdrawals kept theirs, is written as the default (none).
                var status = m.Status == RunStatus.Cancelled ? P.RunStatus.Pending : (P.RunStatus)m.Status;
                var p = new P.QueuedRunWithdrawnFact { RunId = m.RunId, Status = status, Sequence = m.Sequence, At = m.At.UtcTicks };
                if (m.Error is not null) p.Error = m.Error;
                return p;
            },
            (p, _) => new Fact.QueuedRunWithdrawn(p.RunId, p.Status == P.RunStatus.Pending ? RunStatus.Cancelled : (RunStatus)p.Status,
                Text(p.HasError, p.Error), p.Sequence, Instant(p.At))),
        Of<Fact.SequencesReserved, P.SequencesReservedFact>("F6", P.SequencesReservedFact.Parser,
            m => new P.SequencesReservedFact { UpTo = m.UpTo },
            (p, _) => new Fact.SequencesReserved(p.UpTo)),
        Of<Fact.EventsRecorded, P.EventsRecordedFact>("F7", P.EventsRecordedFact.Parser, m =>
            {
                var p = new P.EventsRecordedFact();
                foreach (var evt in m.Events) p.Events.Add(ToProto(evt));
                return p;
            },
            (p, _) => new Fact.EventsRecorded(p.Events.Select(FromProto).ToArray())),
        Of<Fact.SessionPurged, P.SessionPurgedFact>("F8", P.SessionPurgedFact.Parser,
            m => new P.SessionPurgedFact { At = m.At.UtcTicks },
            (p, _) => new Fact.SessionPurged(Instant(p.At))),
        Of<DurableRunnerState<IActorRef>, P.DurableRunnerState>("S1", P.DurableRunnerState.Parser, m =>
            {
                var p = new P.DurableRunnerState
                {
                    Status = (P.RunStatus)m.Status, CancelRequested = m.CancelRequested, Executor = Path(m.Executor), Reserver = Path(m.Reserver),
                    RoundCount = m.RoundCount, ReservedSequence = m.ReservedSequence, Request = ToProto(m.Request), LastSequence = m.LastSequence,
                    LastBudget = m.LastBudget is null ? null : ToProto(m.LastBudget),
                };
                if (m.RunId is not null) p.RunId = m.RunId;
                if (m.StartedAt is { } startedAt) p.StartedAt = startedAt.UtcTicks;
                if (m.CompletedAt is { } completedAt) p.CompletedAt = completedAt.UtcTicks;
                if (m.Error is not null) p.Error = m.Error;
                if (m.DeadlineAt is { } deadlineAt) p.DeadlineAt = deadlineAt.UtcTicks;
                if (m.LastToolName is not null) p.LastToolName = m.LastToolName;
                if (m.LastToolPhase is { } phase) p.LastToolPhase = (P.ToolPhase)phase;
                if (m.Output is not null) p.Output = m.Output;
                if (m.CancelReason is not null) p.CancelReason = m.CancelReason;
                if (m.CancelledBy is not null) p.CancelledBy = m.CancelledBy;
                foreach (var queued in m.Queue) p.Queue.Add(ToProto(queued));
                foreach (var evt in m.Events) p.Events.Add(ToProto(evt));
                foreach (var start in m.Starts) p.Starts.Add(ToProto(start));
                return p;
            },
            (p, s) => new DurableRunnerState<IActorRef>((RunStatus)p.Status, Text(p.HasRunId, p.RunId), Instant(p.HasStartedAt, p.StartedAt),
                Instant(p.HasCompletedAt, p.CompletedAt), Text(p.HasError, p.Error), p.CancelRequested, s.Resolve(p.Executor),
                Instant(p.HasDeadlineAt, p.DeadlineAt), p.RoundCount, Text(p.HasLastToolName, p.LastToolName),
                p.HasLastToolPhase ? (ToolPhase)p.LastToolPhase : null, p.ReservedSequence, p.Queue.Select(s.FromProto).ToArray())
            {
                Request = FromProto(p.Request),
                Reserver = s.Resolve(p.Reserver),
                Output = Text(p.HasOutput, p.Output),
                CancelReason = Text(p.HasCancelReason, p.CancelReason),
                CancelledBy = Text(p.HasCancelledBy, p.CancelledBy),
                LastSequence = p.LastSequence,
                Events = p.Events.Select(FromProto).ToArray(),
                LastBudget = p.LastBudget is null ? null : FromProto(p.LastBudget) as TokenBudget,
                Starts = p.Starts.Select(FromProto).ToArray(),
            }),
    ];

    private static P.RunRecord ToProto(RunRecord m)
    {
        var p = new P.RunRecord
        {
            SessionId = m.SessionId, RunId = m.RunId, Status = (P.RunStatus)m.Status, CreatedAt = m.CreatedAt.UtcTicks,
            OnConflict = (P.ConflictPolicy)m.OnConflict, RoundCount = m.RoundCount, LastSequence = m.LastSequence,
            CancelRequested = m.CancelRequested,
        };
        if (m.StartedAt is { } startedAt) p.StartedAt = startedAt.UtcTicks;
        if (m.EndedAt is { } endedAt) p.EndedAt = endedAt.UtcTicks;
        if (m.Error is not null) p.Error = m.Error;
        if (m.Agent is not null) p.Agent = m.Agent;
        if (m.Input is not null) p.Input = m.Input;
        if (m.Output is not null) p.Output = m.Output;
        if (m.LastToolName is not null) p.LastToolName = m.LastToolName;
        if (m.CancelReason is not null) p.CancelReason = m.CancelReason;
        if (m.CancelledBy is not null) p.CancelledBy = m.CancelledBy;
        if (m.QueuePosition is { } position) p.QueuePosition = position;
        return p;
    }

    private static RunRecord FromProto(P.RunRecord p) =>
        new RunRecord(p.SessionId, p.RunId, (RunStatus)p.Status, Instant(p.CreatedAt), Instant(p.HasStartedAt, p.StartedAt),
            Instant(p.HasEndedAt, p.EndedAt), Text(p.HasError, p.Error), (ConflictPolicy)p.OnConflict, Text(p.HasAgent, p.Agent),
            Text(p.HasInput, p.Input), Text(p.HasOutput, p.Output), p.RoundCount, Text(p.HasLastToolName, p.LastToolName), p.LastSequence,
            p.CancelRequested, Text(p.HasCancelReason, p.CancelReason), Text(p.HasCancelledBy, p.CancelledBy),
            p.HasQueuePosition ? p.QueuePosition : null);

    private static P.SessionSummary ToProto(SessionSummary m)
    {
        var p = new P.SessionSummary
        {
            SessionId = m.SessionId, Status = (P.RunStatus)m.Status, LastEventAt = m.LastEventAt.UtcTicks, RoundCount = m.RoundCount,
            LastSequence = m.LastSequence, RunCount = m.RunCount,
        };
        if (m.RunId is not null) p.RunId = m.RunId;
        if (m.StartedAt is { } startedAt) p.StartedAt = startedAt.UtcTicks;
        if (m.EndedAt is { } endedAt) p.EndedAt = endedAt.UtcTicks;
        if (m.Error is not null) p.Error = m.Error;
        if (m.LastToolName is not null) p.LastToolName = m.LastToolName;
        return p;
    }

    private static SessionSummary FromProto(P.SessionSummary p) =>
        new(p.SessionId, (RunStatus)p.Status, Text(p.HasRunId, p.RunId), Instant(p.HasStartedAt, p.StartedAt), Instant(p.HasEndedAt, p.EndedAt),
            Text(p.HasError, p.Error), Instant(p.LastEventAt), p.RoundCount, Text(p.HasLastToolName, p.LastToolName), p.LastSequence, p.RunCount);

    private static P.Event ToProto(AgentEvent e)
    {
        // An executor's event is not stamped yet: its empty stamps take no bytes.
        var p = new P.Event { SessionId = e.SessionId, RunId = e.RunId, Sequence = e.Sequence, Timestamp = e.Timestamp.UtcTicks };
        switch (e)
        {
            case ExecutionStarted:
                p.ExecutionStarted = new P.ExecutionStarted();
                break;
            case RunQueued m:
                p.RunQueued = new P.RunQueued { Position = m.Position };
                break;
            case RunCancelling m:
                p.RunCancelling = new P.RunCancelling();
                if (m.Reason is not null) p.RunCancelling.Reason = m.Reason;
                break;
            case ExecutionFinished m:
                p.ExecutionFinished = new P.ExecutionFinished { Status = (P.RunStatus)m.Status };
                if (m.Error is not null) p.ExecutionFinished.Error = m.Error;
                break;
            case TokenDelta m:
                p.TokenDelta = new P.TokenDelta { Text = m.Text };
                break;
            case ToolStarted m:
                p.ToolStarted = new P.ToolStarted { ToolName = m.ToolName };
                break;
            case ToolLifecycle m:
                p.ToolLifecycle = new P.ToolLifecycle { ToolName = m.ToolName, Phase = (P.ToolPhase)m.Phase };
                break;
            case RunnerProgress m:
                p.RunnerProgress = new P.RunnerProgress { RoundCount = m.RoundCount };
                break;
            case TokenBudget m:
                p.TokenBudget = new P.TokenBudget { Used = m.Used, Limit = m.Limit };
                break;
            case ReplayGap m:
                p.ReplayGap = new P.ReplayGap { FromSequence = m.FromSequence, ToSequence = m.ToSequence };
                break;
        }
        return p;
    }

    private static AgentEvent FromProto(P.Event p)
    {
        AgentEvent payload = p.PayloadCase switch
        {
            P.Event.PayloadOneofCase.ExecutionStarted => new ExecutionStarted(),
            P.Event.PayloadOneofCase.RunQueued => new RunQueued(p.RunQueued.Position),
            P.Event.PayloadOneofCase.RunCancelling => new RunCancelling(Text(p.RunCancelling.HasReason, p.RunCancelling.Reason)),
            P.Event.PayloadOneofCase.ExecutionFinished =>
                new ExecutionFinished((RunStatus)p.ExecutionFinished.Status, Text(p.ExecutionFinished.HasError, p.ExecutionFinished.Error)),
            P.Event.PayloadOneofCase.TokenDelta => new TokenDelta(p.TokenDelta.Text),
            P.Event.PayloadOneofCase.ToolStarted => new ToolStarted(p.ToolStarted.ToolName),
            P.Event.PayloadOneofCase.ToolLifecycle => new ToolLifecycle(p.ToolLifecycle.ToolName, (ToolPhase)p.ToolLifecycle.Phase),
            P.Event.PayloadOneofCase.RunnerProgress => new RunnerProgress(p.RunnerProgress.RoundCount),
            P.Event.PayloadOneofCase.TokenBudget => new TokenBudget(p.TokenBudget.Used, p.TokenBudget.Limit),
            P.Event.PayloadOneofCase.ReplayGap => new ReplayGap(p.ReplayGap.FromSequence, p.ReplayGap.ToSequence),
            _ => throw new InvalidOperationException("The event has no payload of a type this version knows (written by a newer version?)."),
        };
        return payload with { SessionId = p.SessionId, RunId = p.RunId, Sequence = p.Sequence, Timestamp = Instant(p.Timestamp) };
    }

    private static P.RunEnqueuedFact ToProto(Fact.RunEnqueued m)
    {
        var p = new P.RunEnqueuedFact
        {
            RunId = m.RunId, Executor = Path(m.Executor), Reserver = Path(m.Reserver), Request = ToProto(m.Request), Sequence = m.Sequence,
        };
        if (m.Deadline is { } deadline) p.Deadline = deadline.Ticks;
        return p;
    }

    private Fact.RunEnqueued FromProto(P.RunEnqueuedFact p) =>
        new(p.RunId, Resolve(p.Executor), Resolve(p.Reserver), Duration(p.HasDeadline, p.Deadline), FromProto(p.Request), p.Sequence);

    private static P.RunRequest? ToProto(RunRequest? m)
    {
        if (m is null) return null;
        var p = new P.RunRequest { CreatedAt = m.CreatedAt.UtcTicks, OnConflict = (P.ConflictPolicy)m.OnConflict };
        if (m.Agent is not null) p.Agent = m.Agent;
        if (m.Input is not null) p.Input = m.Input;
        if (m.IdempotencyKey is not null) p.IdempotencyKey = m.IdempotencyKey;
        if (m.RequestDigest is not null) p.RequestDigest = m.RequestDigest;
        if (m.HeartbeatTimeout is { } heartbeat) p.HeartbeatTimeout = heartbeat.Ticks;
        return p;
    }

    private static RunRequest? FromProto(P.RunRequest? p) => p is null ? null
        : new RunRequest(Instant(p.CreatedAt), (ConflictPolicy)p.OnConflict, Text(p.HasAgent, p.Agent), Text(p.HasInput, p.Input),
            Text(p.HasIdempotencyKey, p.IdempotencyKey), Text(p.HasRequestDigest, p.RequestDigest), Duration(p.HasHeartbeatTimeout, p.HeartbeatTimeout));

    private static P.IdempotentStart ToProto(IdempotentStart m)
    {
        var p = new P.IdempotentStart { Key = m.Key, RunId = m.RunId, At = m.At.UtcTicks, QueuePosition = m.QueuePosition };
        if (m.RequestDigest is not null) p.RequestDigest = m.RequestDigest;
        return p;
    }

    private static IdempotentStart FromProto(P.IdempotentStart p) =>
        new(p.Key, Text(p.HasRequestDigest, p.RequestDigest), p.RunId, Instant(p.At), p.QueuePosition);
}
