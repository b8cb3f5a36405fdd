using System.Collections.Frozen;
using System.Text.Json;
using Akka.Actor;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using static Bamboo.Actors.Protocol.ExecutorSignals;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;
using Fact = Bamboo.Actors.Runners.RunnerFact<Akka.Actor.IActorRef>;

namespace Bamboo.Actors.Serialization.Legacy;

/// <summary>
/// Reads the first wire format (read only; nothing writes it any more): a UTF-8 JSON object of short keys
/// (<see cref="WireKeys"/>) under a three-letter manifest. Kept so that journals and snapshots written by earlier
/// versions still recover (the recorded-journal specs of the tests prove it) and so that a node can read what a node
/// of the earlier version sends it during an upgrade.
/// </summary>
internal static class LegacyJsonReader
{
    private delegate object Builder(in WireFields fields, ExtendedActorSystem system);

    // Manifest → how its message is rebuilt from the fields read. Events are marked: only they may nest in a Publish.
    private static readonly FrozenDictionary<string, (Builder Build, bool IsEvent)> ByManifest = new Dictionary<string, (Builder, bool)>
    {
        // RunnerCommands and ExecutorSignals
        ["RSV"] = (static (in f, s) => new Reserve(f.SessionId!, (ConflictPolicy)f.OnConflict, Resolve(s, f.Executor), Ticks(f.DeadlineTicks)), false),
        ["FIN"] = (static (in f, _) => new Finalize(f.SessionId!, f.RunId!, f.Outcome!), false),
        ["CNL"] = (static (in f, _) => new Cancel(f.SessionId!, f.RunId, f.Reason), false),
        ["PUB"] = (static (in f, _) => new Publish(f.SessionId!, f.RunId!, f.Event!, f.Acknowledge), false),
        ["GST"] = (static (in f, _) => new GetStatus(f.SessionId!), false),
        ["SUB"] = (static (in f, s) => new Subscribe(f.SessionId!, Resolve(s, f.Subscriber)!, f.AfterSequence), false),
        ["USB"] = (static (in f, s) => new Unsubscribe(f.SessionId!, Resolve(s, f.Subscriber)!), false),
        ["XCR"] = (static (in f, _) => new CancelRun(f.SessionId!, f.RunId!, f.Reason!), false),
        ["STP"] = (static (in _, _) => SessionRunner.Stop.Instance, false),

        // RunnerReplies
        ["RSD"] = (static (in f, _) => new Reserved(f.SessionId!, f.RunId!, f.StartedAt ?? default), false),
        ["ARN"] = (static (in f, _) => new AlreadyRunning(f.SessionId!, f.RunId!), false),
        ["QUE"] = (static (in f, _) => new Queued(f.SessionId!, f.RunId!, f.Position), false),
        ["REJ"] = (static (in f, _) => new Rejected(f.SessionId!, f.Reason!, f.RunId), false),
        ["FND"] = (static (in f, _) => new Finalized(f.SessionId!, f.RunId!, (RunStatus)f.Status, f.Error), false),
        ["STL"] = (static (in f, _) => new StaleRun(f.SessionId!, f.RunId!, f.CurrentRunId), false),
        ["AFN"] = (static (in f, _) => new AlreadyFinalized(f.SessionId!, f.RunId!, (RunStatus)f.Status), false),
        ["CRQ"] = (static (in f, _) => new CancelRequested(f.SessionId!, f.RunId!), false),
        ["NTC"] = (static (in f, _) => new NothingToCancel(f.SessionId!), false),
        ["PBD"] = (static (in f, _) => new Published(f.SessionId!, f.RunId!, f.Sequence, f.CancelRequested), false),
        ["SBD"] = (static (in f, _) => new Subscribed(f.SessionId!, f.LastSequence), false),
        ["USD"] = (static (in f, _) => new Unsubscribed(f.SessionId!), false),
        ["INV"] = (static (in f, _) => new InvalidCommand(f.SessionId, f.Reason!), false),
        ["UNV"] = (static (in f, _) => new Unavailable(f.SessionId!, f.Reason!), false),
        ["SNP"] = (static (in f, _) => new RunnerSnapshot(f.SessionId!, (RunStatus)f.Status, f.RunId, f.StartedAt, f.CompletedAt,
            f.Error, f.LastEventAt, f.RoundCount, f.LastToolName, (ToolPhase?)f.LastToolPhase, f.CancelRequested, f.QueueLength,
            f.SubscriberCount, f.LastSequence, f.DeadlineAt), false),

        // Durable facts and snapshots
        ["FRS"] = (static (in f, s) => new Fact.RunStarted(f.RunId!, f.StartedAt ?? default, f.DeadlineAt ?? default, Resolve(s, f.Executor)), false),
        ["FCR"] = (static (in f, _) => new Fact.CancelRequested(f.RunId!, f.Reason ?? ""), false),
        ["FRE"] = (static (in f, _) => new Fact.RunEnded(f.RunId!, (RunStatus)f.Status, f.Error, f.CompletedAt ?? default, f.RoundCount,
            f.LastToolName, (ToolPhase?)f.LastToolPhase), false),
        ["FEQ"] = (static (in f, s) => Enqueued(in f, s), false),
        ["FQW"] = (static (in f, _) => new Fact.QueuedRunWithdrawn(f.RunId!), false),
        ["FSR"] = (static (in f, _) => new Fact.SequencesReserved(f.Sequence), false),
        ["FDS"] = (static (in f, s) =>
        {
            var queue = new List<Fact.RunEnqueued>();
            foreach (var item in f.Queue ?? []) queue.Add(Enqueued(in item, s));
            return new DurableRunnerState<IActorRef>((RunStatus)f.Status, f.RunId, f.StartedAt, f.CompletedAt, f.Error,
                f.CancelRequested, Resolve(s, f.Executor), f.DeadlineAt, f.RoundCount, f.LastToolName,
                (ToolPhase?)f.LastToolPhase, f.Sequence, queue);
        }, false),

        // Events, with their stamps (absent session and run: not stamped yet)
        ["EST"] = (static (in f, _) => Stamped(new ExecutionStarted(), in f), true),
        ["ERQ"] = (static (in f, _) => Stamped(new RunQueued(f.Position), in f), true),
        ["ERC"] = (static (in f, _) => Stamped(new RunCancelling(f.Reason), in f), true),
        ["EFN"] = (static (in f, _) => Stamped(new ExecutionFinished((RunStatus)f.Status, f.Error), in f), true),
        ["ETD"] = (static (in f, _) => Stamped(new TokenDelta(f.Text!), in f), true),
        ["ETS"] = (static (in f, _) => Stamped(new ToolStarted(f.ToolName!), in f), true),
        ["ETL"] = (static (in f, _) => Stamped(new ToolLifecycle(f.ToolName!, (ToolPhase)f.Phase), in f), true),
        ["ERP"] = (static (in f, _) => Stamped(new RunnerProgress(f.RoundCount), in f), true),
        ["ETB"] = (static (in f, _) => Stamped(new TokenBudget(f.Used, f.Limit), in f), true),
        ["EGP"] = (static (in f, _) => Stamped(new ReplayGap(f.FromSequence, f.ToSequence), in f), true),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Every manifest of the first format.</summary>
    public static IReadOnlyCollection<string> Manifests => ByManifest.Keys;

    /// <summary>Whether <paramref name="manifest"/> is one of the first format's.</summary>
    public static bool Reads(string manifest) => ByManifest.ContainsKey(manifest);

    /// <summary>Rebuilds the message of <paramref name="manifest"/> (one of <see cref="Manifests"/>) from <paramref name="json"/>.</summary>
    /// <exception cref="JsonException">Not a well-formed payload.</exception>
    /// <exception cref="ArgumentException">A value out of range (an outcome that is not terminal).</exception>
    public static object Read(string manifest, byte[] json, ExtendedActorSystem system)
    {
        // SessionRunner.Stop was written as an empty payload.
        var fields = json.Length == 0 ? default : WireFields.Read(json);
        return ByManifest[manifest].Build(in fields, system);
    }

    /// <summary>Builds the event of <paramref name="manifest"/> (nested in a <c>Publish</c>) from its fields.</summary>
    internal static AgentEvent BuildEvent(string? manifest, in WireFields fields) =>
        manifest is not null && ByManifest.TryGetValue(manifest, out var codec) && codec.IsEvent
            ? (AgentEvent)codec.Build(in fields, null!)
            : throw new JsonException($"'{manifest}' is not an event manifest.");

    private static AgentEvent Stamped(AgentEvent evt, in WireFields f) =>
        evt with { SessionId = f.SessionId ?? "", RunId = f.RunId ?? "", Sequence = f.Sequence, Timestamp = f.Timestamp ?? default };

    private static Fact.RunEnqueued Enqueued(in WireFields f, ExtendedActorSystem s) =>
        new(f.RunId!, Resolve(s, f.Executor), Resolve(s, f.Reserver), Ticks(f.DeadlineTicks));

    private static TimeSpan? Ticks(long? ticks) => ticks is { } value ? TimeSpan.FromTicks(value) : null;

    private static IActorRef? Resolve(ExtendedActorSystem system, string? path) =>
        string.IsNullOrEmpty(path) ? null : system.Provider.ResolveActorRef(path);
}
