using Akka.Actor;
using Akka.Coordination;
using Akka.Event;
using Akka.Persistence;
using Akka.Persistence.Journal;
using Bamboo.Actors.Diagnostics;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Routing;
using Bamboo.Actors.Sharding;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Runners;

/// <summary>
/// One session's actor, event-sourced: the same shell around <see cref="RunnerState{TRef}"/> as
/// <see cref="SessionRunner"/>, but every decision's facts (<see cref="RunnerFact{TRef}"/>) are persisted before its
/// reply and effects are applied, so nothing is acknowledged that a restart could forget. Recovery replays the facts
/// (from the latest snapshot), then lets the state settle what the restart broke: executors are watched again, a run
/// whose executor is gone — or that had none and whose deadline passed — ends as <c>Error("lost on restart")</c>.
/// Progress events stay in the in-memory replay ring; after a restart, a cursor replay reports them as a gap.
/// </summary>
public sealed class DurableSessionRunner : UntypedPersistentActor
{
    private readonly RunnerShell _shell;
    private readonly RunnerSettings _settings;
    private readonly Lease? _shardLease;
    private long _factsSinceSnapshot;
    private IActorRef? _persistingFor;
    private bool _stopWhenWritten;
    private long _previousSnapshotSequenceNr;

    /// <summary>Creates the durable runner of the entity <paramref name="entityId"/>.</summary>
    public DurableSessionRunner(string entityId, RunnerSettings settings)
    {
        _settings = settings;
        PersistenceId = PersistenceIdOf(entityId);
        if (settings.JournalPluginId.Length > 0) JournalPluginId = settings.JournalPluginId;
        if (settings.SnapshotPluginId.Length > 0) SnapshotPluginId = settings.SnapshotPluginId;
        _shell = new RunnerShell(Context, new RunnerState<IActorRef>(SessionIds.FromEntityId(entityId), settings, durable: true), settings);
        if (settings.ShardLease is { } leasePath) _shardLease = ShardLease(entityId, leasePath);
    }

    /// <summary>The lease this runner's shard holds: Akka's LeaseProvider hands out one instance per name and owner, the
    /// same the shard acquired before it started this runner.</summary>
    private Lease ShardLease(string entityId, string configPath)
    {
        var system = Context.System;
        var shardId = new SessionMessageExtractor().ShardId(entityId);
        return LeaseProvider.Get(system).GetLease(
            $"{system.Name}-shard-{BambooSharding.TypeName}-{shardId}", configPath, Akka.Cluster.Cluster.Get(system).SelfAddress.HostPort());
    }

    /// <summary>Props for the durable runner of the entity <paramref name="entityId"/>.</summary>
    public static Props Props(string entityId, RunnerSettings settings) =>
        Akka.Actor.Props.Create(() => new DurableSessionRunner(entityId, settings));

    /// <summary>The persistence id of a session's entity: stable, and distinct for distinct sessions.</summary>
    public static string PersistenceIdOf(string entityId) => $"bamboo-session-{entityId}";

    /// <inheritdoc />
    public override string PersistenceId { get; }

    // Untyped handlers with one switch each, as in SessionRunner: no per-instance handler tables.
    /// <inheritdoc />
    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: DurableRunnerState<IActorRef> snapshot } offer:
                _shell.State.Restore(snapshot);
                _previousSnapshotSequenceNr = offer.Metadata.SequenceNr;
                break;
            case RunnerFact<IActorRef> fact:
                _shell.State.Apply(fact);
                break;
            case Tagged { Payload: RunnerFact<IActorRef> fact }: // journals that keep the tags on replay (the in-memory one)
                _shell.State.Apply(fact);
                break;
            case RecoveryCompleted:
                PersistThenApply(_shell.Recovered());
                break;
        }
    }

    /// <inheritdoc />
    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case SessionRunner.Stop when _persistingFor is not null:
                // Hand-off or passivation while facts are being written: finish the write first (its reply, watches,
                // timers and events), then leave, handing back what waited meanwhile. Stopping now would let the
                // write land after the next incarnation has started elsewhere: two writers for one session.
                _stopWhenWritten = true;
                break;
            case SessionRunner.Stop:
                Leave();
                break;
            case RunnerShell.ForgetSender:
                break;
            case SaveSnapshotSuccess saved:
                ForgetBefore(saved.Metadata.SequenceNr);
                break;
            case DeleteMessagesSuccess or DeleteSnapshotsSuccess:
                break;
            case DeleteMessagesFailure failure:
                // Deleting old facts only saves space: what recovery needs is still there.
                Log.Warning(failure.Cause, "Session {0} could not delete facts up to {1}", _shell.State.SessionId, failure.ToSequenceNr);
                break;
            case DeleteSnapshotsFailure failure:
                Log.Warning(failure.Cause, "Session {0} could not delete old snapshots", _shell.State.SessionId);
                break;
            case SaveSnapshotFailure failure:
                // A snapshot only shortens recovery: the facts are all in the journal, so a failed save loses nothing.
                Log.Warning(failure.Cause, "Session {0} could not save a snapshot", _shell.State.SessionId);
                break;
            case RunnerTimers.IdleCheck:
                // While facts are being written the session is not idle, whatever its memory already says.
                if (_shell.Passivation.IdleCheckFired(busy: _persistingFor is not null)) Become(Passivating);
                break;
            default:
                if (_persistingFor is not null) Stash.Stash();
                else if (_shell.Decide(message) is { } decision) PersistThenApply(decision);
                else Unhandled(message);
                break;
        }
    }

    private void Passivating(object message)
    {
        if (message is SessionRunner.Stop) Context.Stop(Self);
        else _shell.Passivation.HandBack(message, Sender);
    }

    /// <summary>
    /// Persists the decision's facts, then replies and applies its effects. Until the facts are written, every new
    /// message waits in this runner's stash, so nobody sees the state before it is durable; on a journal failure the
    /// waiting commands go back to the parent (see <see cref="Unrecorded"/>), none is lost.
    /// </summary>
    private void PersistThenApply(RunnerDecision<IActorRef> decision)
    {
        if (decision.Facts.Count == 0)
        {
            _shell.Apply(decision);
            return;
        }
        if (_shardLease?.CheckLease() == false)
        {
            // The shard's lease lapsed (its renewals failed, or another node took it): another incarnation may already
            // run this session elsewhere, so this one writes nothing more and leaves; the shard stops soon after.
            Log.Warning("Session {0}: this node no longer holds its shard's lease; leaving without writing", _shell.State.SessionId);
            Unrecorded("this node no longer holds the session's shard");
            return;
        }
        _persistingFor = Sender;
        var written = decision.Facts.Select(Tag).ToArray();
        var last = written[^1];
        PersistAllAsync(written, fact =>
        {
            _factsSinceSnapshot++;
            if (!ReferenceEquals(fact, last)) return;
            _persistingFor = null;
            _shell.Apply(decision);
            if (decision.Reply is SessionDeleted) ForgetAllButTheLast();
            else if (_factsSinceSnapshot >= _settings.SnapshotEvery)
            {
                _factsSinceSnapshot = 0;
                SaveSnapshot(_shell.State.ToDurable());
            }
            if (_stopWhenWritten) Leave();
            else Stash.UnstashAll();
        });
    }

    /// <summary>
    /// Stops for a hand-off or passivation. Executors' events published (subscribers have them) but not yet recorded,
    /// their batch waiting for its timer, are recorded first, so the next incarnation replays what was delivered; then
    /// the runner stops, handing the commands that waited behind that write to the next incarnation.
    /// </summary>
    private void Leave()
    {
        _stopWhenWritten = true;
        if (_shell.State.UnrecordedEvents > 0) PersistThenApply(_shell.State.FlushEvents());
        else LeaveWithWaitingCommands();
    }

    /// <summary>Facts go to the journal tagged for the read model (<see cref="SessionFacts.Tag"/>), sequence reservations
    /// as they are: no model needs them.</summary>
    private static object Tag(RunnerFact<IActorRef> fact) =>
        fact is RunnerFact<IActorRef>.SequencesReserved ? fact : new Tagged(fact, FactTags);

    private static readonly string[] FactTags = [SessionFacts.Tag];

    /// <summary>
    /// A snapshot at <paramref name="sequenceNr"/> was saved: the facts before the previous snapshot, and the snapshots
    /// before this one, are no longer needed for recovery, and go. One snapshot's worth of facts stays, so a read model
    /// that lags behind the journal still finds them.
    /// </summary>
    private void ForgetBefore(long sequenceNr)
    {
        if (_previousSnapshotSequenceNr > 0) DeleteMessages(_previousSnapshotSequenceNr);
        DeleteSnapshots(new SnapshotSelectionCriteria(sequenceNr - 1));
        _previousSnapshotSequenceNr = sequenceNr;
    }

    /// <summary>The session's history was deleted: everything but the last fact (the deletion itself, which keeps the
    /// numbering and tells the read model) goes.</summary>
    private void ForgetAllButTheLast()
    {
        DeleteMessages(LastSequenceNr - 1);
        DeleteSnapshots(new SnapshotSelectionCriteria(LastSequenceNr));
        _factsSinceSnapshot = 0;
    }

    /// <summary>Stops, handing every command that waited behind a write to the session's next incarnation.</summary>
    private void LeaveWithWaitingCommands()
    {
        foreach (var waiting in Stash.ClearStash())
            _shell.Passivation.HandBack(waiting.Message, waiting.Sender);
        Become(Passivating);
        Context.Stop(Self);
    }

    /// <inheritdoc />
    protected override void PreStart() => _shell.Started();

    /// <inheritdoc />
    protected override void PostStop()
    {
        _shell.Stopped(abandon: false, "session stopped");
        base.PostStop();
    }

    /// <inheritdoc />
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        if (WriterConflict(cause, sequenceNr)) Unrecorded("another writer holds this session");
        else
        {
            Log.Error(cause, "Session {0} could not persist {1}: the change is not recorded", _shell.State.SessionId, @event.GetType().Name);
            Unrecorded($"journal unavailable: {cause.Message}");
        }
    }

    /// <inheritdoc />
    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        if (WriterConflict(cause, sequenceNr)) Unrecorded("another writer holds this session");
        else
        {
            Log.Error(cause, "The journal rejected {0} of session {1}: the change is not recorded", @event.GetType().Name, _shell.State.SessionId);
            Unrecorded($"journal rejected the change: {cause.Message}");
        }
    }

    /// <inheritdoc />
    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        // A journal whose replay filter fails a replay that shows interleaved writers (journals that record a writer per
        // incarnation; the SQL journal records one per process and runs without the filter) leaves the session
        // unrecovered rather than started from a history with acknowledged facts dropped: loud, for an operator.
        if (JournalConflicts.IsWriterConflict(reason))
        {
            BambooMetrics.JournalWriterConflicts.Add(1);
            Log.Error(reason, "Session {0} was not recovered: its journal holds facts of two writers at once", _shell.State.SessionId);
        }
        else
        {
            Log.Error(reason, "Session {0} could not be recovered", _shell.State.SessionId);
        }
        base.OnRecoveryFailure(reason, message);
    }

    /// <summary>A write failed because another incarnation already wrote this sequence number (a duplicate key).</summary>
    private bool WriterConflict(Exception cause, long sequenceNr)
    {
        if (!JournalConflicts.IsWriterConflict(cause)) return false;
        BambooMetrics.JournalWriterConflicts.Add(1);
        Log.Error(cause, "Session {0}: another writer already wrote sequence number {1}; this incarnation stops without recording its change",
            _shell.State.SessionId, sequenceNr);
        return true;
    }

    /// <summary>
    /// A change was not recorded: its sender hears so, and this incarnation — whose memory holds the unrecorded change,
    /// and which Akka.Persistence stops — leaves through the passivation protocol: the commands waiting here go back to
    /// the parent, which holds them for a fresh incarnation that recovers from the journal.
    /// </summary>
    private void Unrecorded(string reason)
    {
        // The commands that waited go on their way first: a sender that retries at once on Unavailable (a lease
        // finalizing) then comes after them, in the order it sent its commands.
        _shell.Passivation.LeaveAfterFailure();
        foreach (var waiting in Stash.ClearStash())
            _shell.Passivation.HandBack(waiting.Message, waiting.Sender);
        (_persistingFor ?? Sender).Tell(new Unavailable(_shell.State.SessionId, reason));
        _persistingFor = null;
        // A passivated session is forgotten (by sharding's remembered entities too) until someone writes to it, but the
        // journal may still hold an active run or a queue: the next incarnation is woken at once, so it recovers,
        // watches the executor and keeps the deadline without anyone touching the session.
        _shell.Passivation.HandBack(new RunnerCommands.GetStatus(_shell.State.SessionId), Context.System.DeadLetters);
        Become(Passivating);
    }
}
