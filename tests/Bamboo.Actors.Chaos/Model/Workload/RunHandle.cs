using Akka.Actor;
using Bamboo.Actors.Chaos.Model.Nodes;
using Bamboo.Actors.Chaos.Model.Records;
using Bamboo.Actors.Client;
using Bamboo.Actors.Protocol;

namespace Bamboo.Actors.Chaos.Model.Workload;

/// <summary>
/// A reservation as its executor knows it: granted or queued, signalled or not, finalized or not, alive or dead. The
/// model's memory of a run, from which the workload picks meaningful operations (the current run, a stale one, a
/// repeat) and the checks learn what each executor was told.
/// </summary>
public sealed class RunHandle
{
    private readonly object _gate = new();

    public required string SessionId { get; init; }
    public required ExecutorKind Kind { get; init; }

    /// <summary>The node the executor lives on (for a lease or a worker actor); the node the reservation went through for an external worker.</summary>
    public required ModelNode Node { get; init; }

    public required ConflictPolicy Policy { get; init; }
    public required TimeSpan Deadline { get; init; }
    public TimeSpan? HeartbeatTimeout { get; init; }

    /// <summary>The reservation's operation.</summary>
    public required int ReservedBy { get; set; }

    /// <summary>When the reservation was sent.</summary>
    public TimeSpan RequestedAt { get; init; }

    /// <summary>A finalize was sent through the lease (a lease sends one: later calls return the first one's result).</summary>
    public bool LeaseFinalizing { get; set; }

    /// <summary>The actor that receives a queued reservation's later answers died with its node (an external worker's
    /// reservation sent through a node that went down).</summary>
    public bool ReserverLost { get; set; }

    /// <summary>A finalize went unanswered: it may have ended the run.</summary>
    public bool FinalizeUncertain { get; set; }

    public string? RunId { get; set; }

    public RunLease? Lease { get; init; }

    public IActorRef? Worker { get; set; }

    /// <summary>When the run was known to be running (the reply or the queued run's start arrived).</summary>
    public TimeSpan? ActiveAt { get; private set; }

    /// <summary>When the session said the run started (its clock).</summary>
    public DateTimeOffset? StartedAt { get; private set; }

    public bool Queued { get; private set; }

    /// <summary>The executor's part is over: it finalized (acknowledged), was fenced, or the queued run was withdrawn.</summary>
    public bool Over { get; private set; }

    /// <summary>The session acknowledged this executor's finalize, with this status.</summary>
    public RunStatus? Finalized { get; private set; }

    /// <summary>When the executor died (killed, its node crashed or left, the worker vanished).</summary>
    public TimeSpan? DiedAt { get; private set; }

    public string? DeathCause { get; private set; }

    /// <summary>When the executor was first told to stop (cancel signal, token fired, a heartbeat saying cancel requested).</summary>
    public TimeSpan? SignalledAt { get; private set; }

    public string? SignalReason { get; private set; }

    /// <summary>The end of the last heartbeat (or event) the session acknowledged, for a worker with a heartbeat timeout.</summary>
    public TimeSpan? LastHeard { get; private set; }

    public bool Alive
    {
        get
        {
            lock (_gate) return DiedAt is null;
        }
    }

    /// <summary>Granted, running as far as the executor knows, executor alive.</summary>
    public bool Live
    {
        get
        {
            lock (_gate) return ActiveAt is not null && !Over && DiedAt is null;
        }
    }

    public void MarkQueued(string runId)
    {
        lock (_gate)
        {
            RunId = runId;
            // The start of a queued run may be told before the answer that it was queued is read.
            if (ActiveAt is null && !Over) Queued = true;
        }
    }

    public void MarkActive(string runId, TimeSpan at, DateTimeOffset? startedAt)
    {
        lock (_gate)
        {
            RunId = runId;
            Queued = false;
            ActiveAt ??= at;
            StartedAt ??= startedAt;
            LastHeard ??= at;
        }
    }

    public void MarkOver(RunStatus? finalized = null)
    {
        lock (_gate)
        {
            Over = true;
            Queued = false;
            Finalized ??= finalized;
        }
    }

    /// <returns>Whether this is the first death.</returns>
    public bool MarkDead(TimeSpan at, string cause)
    {
        lock (_gate)
        {
            if (DiedAt is not null) return false;
            DiedAt = at;
            DeathCause = cause;
            return true;
        }
    }

    /// <returns>Whether this is the first signal.</returns>
    public bool MarkSignalled(TimeSpan at, string reason)
    {
        lock (_gate)
        {
            if (SignalledAt is not null) return false;
            SignalledAt = at;
            SignalReason = reason;
            return true;
        }
    }

    public void Heard(TimeSpan at)
    {
        lock (_gate)
        {
            if (LastHeard is null || at > LastHeard) LastHeard = at;
        }
    }
}

/// <summary>A subscriber the workload holds: its log and how to make it leave or die.</summary>
public sealed class SubscriberHandle
{
    public required SubscriberLog Log { get; init; }
    public required ModelNode Node { get; init; }
    public IEventSubscription? Subscription { get; init; }
    public CancellationTokenSource? Reading { get; init; }
    public IActorRef? Actor { get; init; }
    public Task? Reader { get; init; }
}

/// <summary>What the model knows of one session: every reservation it made and the subscribers it holds.</summary>
public sealed class SessionModel(string id)
{
    public string Id { get; } = id;

    public object Gate { get; } = new();

    public List<RunHandle> Runs { get; } = [];

    public List<SubscriberHandle> Subscribers { get; } = [];

    /// <summary>Until then the client loops leave the session alone (only its runs' own executors act): whatever must
    /// happen to it — a deadline, an executor's death noticed — must happen without anybody touching it.</summary>
    public TimeSpan HandsOffUntil { get; set; }

    /// <summary>The latest granted run still live (the executor's current run), if any.</summary>
    public RunHandle? Current()
    {
        lock (Gate) return Runs.LastOrDefault(run => run.Live);
    }

    public RunHandle[] Snapshot()
    {
        lock (Gate) return [.. Runs];
    }
}
