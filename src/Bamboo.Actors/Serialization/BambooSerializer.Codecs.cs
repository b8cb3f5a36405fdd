using System.Text.Json;
using Akka.Actor;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using static Bamboo.Actors.Protocol.ExecutorSignals;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;
using K = Bamboo.Actors.Serialization.WireKeys;

namespace Bamboo.Actors.Serialization;

public sealed partial class BambooSerializer
{
    // The manifests are part of the wire format: never change or reuse one. Commands and signals, replies, and events
    // (prefix E) each have their own family of three-letter codes.
    private static Codec[] CreateCodecs() =>
    [
        // RunnerCommands
        Message<Reserve>("RSV",
            (w, m) =>
            {
                Str(w, K.SessionId, m.SessionId);
                Num(w, K.OnConflict, (int)m.OnConflict);
                Ref(w, K.Executor, m.Executor);
                if (m.Deadline is { } deadline) w.WriteNumber(K.Deadline, deadline.Ticks);
            },
            (in WireFields f, ExtendedActorSystem s) => new Reserve(f.SessionId!, (ConflictPolicy)f.OnConflict,
                Resolve(s, f.Executor), f.DeadlineTicks is { } ticks ? TimeSpan.FromTicks(ticks) : null)),
        Message<Finalize>("FIN",
            (w, m) =>
            {
                Str(w, K.SessionId, m.SessionId);
                Str(w, K.RunId, m.RunId);
                if (m.Outcome is { } outcome)
                {
                    w.WriteStartObject(K.Outcome);
                    Num(w, K.Status, (int)outcome.Status);
                    Str(w, K.Error, outcome.Error);
                    w.WriteEndObject();
                }
            },
            (in WireFields f, ExtendedActorSystem _) => new Finalize(f.SessionId!, f.RunId!, f.Outcome!)),
        Message<Cancel>("CNL",
            (w, m) =>
            {
                Str(w, K.SessionId, m.SessionId);
                Str(w, K.RunId, m.RunId);
                Str(w, K.Reason, m.Reason);
            },
            (in WireFields f, ExtendedActorSystem _) => new Cancel(f.SessionId!, f.RunId, f.Reason)),
        Message<Publish>("PUB",
            (w, m) =>
            {
                Str(w, K.SessionId, m.SessionId);
                Str(w, K.RunId, m.RunId);
                if (m.Event is { } evt) WriteEvent(w, K.Event, evt);
                Bool(w, K.Acknowledge, m.Acknowledge);
            },
            (in WireFields f, ExtendedActorSystem _) => new Publish(f.SessionId!, f.RunId!, f.Event!, f.Acknowledge)),
        Message<GetStatus>("GST",
            (w, m) => Str(w, K.SessionId, m.SessionId),
            (in WireFields f, ExtendedActorSystem _) => new GetStatus(f.SessionId!)),
        Message<Subscribe>("SUB",
            (w, m) =>
            {
                Str(w, K.SessionId, m.SessionId);
                Ref(w, K.Subscriber, m.Subscriber);
                if (m.AfterSequence is { } after) w.WriteNumber(K.AfterSequence, after);
            },
            (in WireFields f, ExtendedActorSystem s) => new Subscribe(f.SessionId!, Resolve(s, f.Subscriber)!, f.AfterSequence)),
        Message<Unsubscribe>("USB",
            (w, m) =>
            {
                Str(w, K.SessionId, m.SessionId);
                Ref(w, K.Subscriber, m.Subscriber);
            },
            (in WireFields f, ExtendedActorSystem s) => new Unsubscribe(f.SessionId!, Resolve(s, f.Subscriber)!)),

        // ExecutorSignals
        Message<CancelRun>("XCR",
            (w, m) =>
            {
                Str(w, K.SessionId, m.SessionId);
                Str(w, K.RunId, m.RunId);
                Str(w, K.Reason, m.Reason);
            },
            (in WireFields f, ExtendedActorSystem _) => new CancelRun(f.SessionId!, f.RunId!, f.Reason!)),

        // SessionRunner: a singleton with no payload.
        new Codec(typeof(SessionRunner.Stop), "STP", null, (in WireFields _, ExtendedActorSystem _) => SessionRunner.Stop.Instance, false),

        // RunnerReplies
        Message<Reserved>("RSD",
            (w, m) =>
            {
                Str(w, K.SessionId, m.SessionId);
                Str(w, K.RunId, m.RunId);
                w.WriteString(K.StartedAt, m.StartedAt);
            },
            (in WireFields f, ExtendedActorSystem _) => new Reserved(f.SessionId!, f.RunId!, f.StartedAt ?? default)),
        Message<AlreadyRunning>("ARN",
            (w, m) =>
            {
                Str(w, K.SessionId, m.SessionId);
                Str(w, K.RunId, m.RunId);
            },
            (in WireFields f, ExtendedActorSystem _) => new AlreadyRunning(f.SessionId!, f.RunId!)),
        Message<Queued>("QUE",
            (w, m) =>
            {
                Str(w, K.SessionId, m.SessionId);
                Str(w, K.RunId, m.RunId);
                Num(w, K.Position, m.Position);
            },
            (in WireFields f, ExtendedActorSystem _) => new Queued(f.SessionId!, f.RunId!, f.Position)),
        Message<Rejected>("REJ",
            (w, m) =>
            {
                Str(w, K.SessionId, m.SessionId);
                Str(w, K.Reason, m.Reason);
                Str(w, K.RunId, m.RunId);
            },
            (in WireFields f, ExtendedActorSystem _) => new Rejected(f.SessionId!, f.Reason!, f.RunId)),
        Message<Finalized>("FND",
            (w, m) =>
            {
                Str(w, K.SessionId, m.SessionId);
                Str(w, K.RunId, m.RunId);
                Num(w, K.Status, (int)m.Status);
                Str(w, K.Error, m.Error);
            },
            (in WireFields f, ExtendedActorSystem _) => new Finalized(f.SessionId!, f.RunId!, (RunStatus)f.Status, f.Error)),
        Message<StaleRun>("STL",
            (w, m) =>
            {
                Str(w, K.SessionId, m.SessionId);
                Str(w, K.RunId, m.RunId);
                Str(w, K.CurrentRunId, m.CurrentRunId);
            },
            (in WireFields f, ExtendedActorSystem _) => new StaleRun(f.SessionId!, f.RunId!, f.CurrentRunId)),
        Message<AlreadyFinalized>("AFN",
            (w, m) =>
            {
                Str(w, K.SessionId, m.SessionId);
                Str(w, K.RunId, m.RunId);
                Num(w, K.Status, (int)m.Status);
            },
            (in WireFields f, ExtendedActorSystem _) => new AlreadyFinalized(f.SessionId!, f.RunId!, (RunStatus)f.Status)),
        Message<CancelRequested>("CRQ",
            (w, m) =>
            {
                Str(w, K.SessionId, m.SessionId);
                Str(w, K.RunId, m.RunId);
            },
            (in WireFields f, ExtendedActorSystem _) => new CancelRequested(f.SessionId!, f.RunId!)),
        Message<NothingToCancel>("NTC",
            (w, m) => Str(w, K.SessionId, m.SessionId),
            (in WireFields f, ExtendedActorSystem _) => new NothingToCancel(f.SessionId!)),
        Message<Published>("PBD",
            (w, m) =>
            {
                Str(w, K.SessionId, m.SessionId);
                Str(w, K.RunId, m.RunId);
                Num(w, K.Sequence, m.Sequence);
                Bool(w, K.CancelRequested, m.CancelRequested);
            },
            (in WireFields f, ExtendedActorSystem _) => new Published(f.SessionId!, f.RunId!, f.Sequence, f.CancelRequested)),
        Message<Subscribed>("SBD",
            (w, m) =>
            {
                Str(w, K.SessionId, m.SessionId);
                Num(w, K.LastSequence, m.LastSequence);
            },
            (in WireFields f, ExtendedActorSystem _) => new Subscribed(f.SessionId!, f.LastSequence)),
        Message<Unsubscribed>("USD",
            (w, m) => Str(w, K.SessionId, m.SessionId),
            (in WireFields f, ExtendedActorSystem _) => new Unsubscribed(f.SessionId!)),
        Message<InvalidCommand>("INV",
            (w, m) =>
            {
                Str(w, K.SessionId, m.SessionId);
                Str(w, K.Reason, m.Reason);
            },
            (in WireFields f, ExtendedActorSystem _) => new InvalidCommand(f.SessionId, f.Reason!)),
        Message<RunnerSnapshot>("SNP",
            (w, m) =>
            {
                Str(w, K.SessionId, m.SessionId);
                Num(w, K.Status, (int)m.Status);
                Str(w, K.RunId, m.RunId);
                Time(w, K.StartedAt, m.StartedAt);
                Time(w, K.CompletedAt, m.CompletedAt);
                Str(w, K.Error, m.Error);
                Time(w, K.LastEventAt, m.LastEventAt);
                Num(w, K.RoundCount, m.RoundCount);
                Str(w, K.LastToolName, m.LastToolName);
                if (m.LastToolPhase is { } phase) w.WriteNumber(K.LastToolPhase, (int)phase);
                Bool(w, K.CancelRequested, m.CancelRequested);
                Num(w, K.QueueLength, m.QueueLength);
                Num(w, K.SubscriberCount, m.SubscriberCount);
                Num(w, K.LastSequence, m.LastSequence);
                Time(w, K.DeadlineAt, m.DeadlineAt);
            },
            (in WireFields f, ExtendedActorSystem _) => new RunnerSnapshot(f.SessionId!, (RunStatus)f.Status, f.RunId,
                f.StartedAt, f.CompletedAt, f.Error, f.LastEventAt, f.RoundCount, f.LastToolName,
                (ToolPhase?)f.LastToolPhase, f.CancelRequested, f.QueueLength, f.SubscriberCount, f.LastSequence,
                f.DeadlineAt)),

        // Events. Each one carries its stamps (session, run, sequence, timestamp) besides its payload.
        Event<ExecutionStarted>("EST",
            (_, _) => { },
            (in WireFields f, ExtendedActorSystem _) => new ExecutionStarted
                { SessionId = f.SessionId ?? "", RunId = f.RunId ?? "", Sequence = f.Sequence, Timestamp = f.Timestamp ?? default }),
        Event<RunQueued>("ERQ",
            (w, e) => Num(w, K.Position, e.Position),
            (in WireFields f, ExtendedActorSystem _) => new RunQueued(f.Position)
                { SessionId = f.SessionId ?? "", RunId = f.RunId ?? "", Sequence = f.Sequence, Timestamp = f.Timestamp ?? default }),
        Event<RunCancelling>("ERC",
            (w, e) => Str(w, K.Reason, e.Reason),
            (in WireFields f, ExtendedActorSystem _) => new RunCancelling(f.Reason)
                { SessionId = f.SessionId ?? "", RunId = f.RunId ?? "", Sequence = f.Sequence, Timestamp = f.Timestamp ?? default }),
        Event<ExecutionFinished>("EFN",
            (w, e) =>
            {
                Num(w, K.Status, (int)e.Status);
                Str(w, K.Error, e.Error);
            },
            (in WireFields f, ExtendedActorSystem _) => new ExecutionFinished((RunStatus)f.Status, f.Error)
                { SessionId = f.SessionId ?? "", RunId = f.RunId ?? "", Sequence = f.Sequence, Timestamp = f.Timestamp ?? default }),
        Event<TokenDelta>("ETD",
            (w, e) => Str(w, K.Text, e.Text),
            (in WireFields f, ExtendedActorSystem _) => new TokenDelta(f.Text!)
                { SessionId = f.SessionId ?? "", RunId = f.RunId ?? "", Sequence = f.Sequence, Timestamp = f.Timestamp ?? default }),
        Event<ToolStarted>("ETS",
            (w, e) => Str(w, K.ToolName, e.ToolName),
            (in WireFields f, ExtendedActorSystem _) => new ToolStarted(f.ToolName!)
                { SessionId = f.SessionId ?? "", RunId = f.RunId ?? "", Sequence = f.Sequence, Timestamp = f.Timestamp ?? default }),
        Event<ToolLifecycle>("ETL",
            (w, e) =>
            {
                Str(w, K.ToolName, e.ToolName);
                Num(w, K.Phase, (int)e.Phase);
            },
            (in WireFields f, ExtendedActorSystem _) => new ToolLifecycle(f.ToolName!, (ToolPhase)f.Phase)
                { SessionId = f.SessionId ?? "", RunId = f.RunId ?? "", Sequence = f.Sequence, Timestamp = f.Timestamp ?? default }),
        Event<RunnerProgress>("ERP",
            (w, e) => Num(w, K.RoundCount, e.RoundCount),
            (in WireFields f, ExtendedActorSystem _) => new RunnerProgress(f.RoundCount)
                { SessionId = f.SessionId ?? "", RunId = f.RunId ?? "", Sequence = f.Sequence, Timestamp = f.Timestamp ?? default }),
        Event<TokenBudgetUpdated>("ETB",
            (w, e) =>
            {
                Num(w, K.Used, e.Used);
                Num(w, K.Limit, e.Limit);
            },
            (in WireFields f, ExtendedActorSystem _) => new TokenBudgetUpdated(f.Used, f.Limit)
                { SessionId = f.SessionId ?? "", RunId = f.RunId ?? "", Sequence = f.Sequence, Timestamp = f.Timestamp ?? default }),
        Event<ReplayGap>("EGP",
            (w, e) =>
            {
                Num(w, K.FromSequence, e.FromSequence);
                Num(w, K.ToSequence, e.ToSequence);
            },
            (in WireFields f, ExtendedActorSystem _) => new ReplayGap(f.FromSequence, f.ToSequence)
                { SessionId = f.SessionId ?? "", RunId = f.RunId ?? "", Sequence = f.Sequence, Timestamp = f.Timestamp ?? default }),
    ];

    private static Codec Message<T>(string manifest, Action<Utf8JsonWriter, T> write, Builder build) =>
        new(typeof(T), manifest, (w, o) => write(w, (T)o), build, IsEvent: false);

    private static Codec Event<T>(string manifest, Action<Utf8JsonWriter, T> writePayload, Builder build) where T : AgentEvent =>
        new(typeof(T), manifest, (w, o) =>
        {
            // An executor's event is not stamped yet: its empty stamps are left out.
            var evt = (T)o;
            if (!string.IsNullOrEmpty(evt.SessionId)) w.WriteString(K.SessionId, evt.SessionId);
            if (!string.IsNullOrEmpty(evt.RunId)) w.WriteString(K.RunId, evt.RunId);
            Num(w, K.Sequence, evt.Sequence);
            if (evt.Timestamp != default) w.WriteString(K.Timestamp, evt.Timestamp);
            writePayload(w, evt);
        }, build, IsEvent: true);

    /// <summary>Writes a string; null is left out (absent reads back as null).</summary>
    private static void Str(Utf8JsonWriter writer, string key, string? value)
    {
        if (value is not null) writer.WriteString(key, value);
    }

    /// <summary>Writes a number; 0 is left out (absent reads back as 0).</summary>
    private static void Num(Utf8JsonWriter writer, string key, long value)
    {
        if (value != 0) writer.WriteNumber(key, value);
    }

    /// <summary>Writes a boolean; false is left out (absent reads back as false).</summary>
    private static void Bool(Utf8JsonWriter writer, string key, bool value)
    {
        if (value) writer.WriteBoolean(key, value);
    }

    private static void Time(Utf8JsonWriter writer, string key, DateTimeOffset? value)
    {
        if (value is { } time) writer.WriteString(key, time);
    }

    private static void Ref(Utf8JsonWriter writer, string key, IActorRef? actor)
    {
        if (actor is not null) writer.WriteString(key, global::Akka.Serialization.Serialization.SerializedActorPath(actor));
    }

    private static IActorRef? Resolve(ExtendedActorSystem system, string? path) =>
        string.IsNullOrEmpty(path) ? null : system.Provider.ResolveActorRef(path);
}
