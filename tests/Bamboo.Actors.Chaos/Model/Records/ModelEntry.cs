using System.Text;
using Bamboo.Actors.Chaos.History;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Chaos.Model.Records;

/// <summary>What an operation of the model workload does.</summary>
public enum OpKind
{
    Reserve,
    Publish,
    Heartbeat,
    Finalize,
    Cancel,
    GetStatus,
    GetRun,
    Subscribe,
    /// <summary>A subscriber leaves (disposes its subscription, or unsubscribes).</summary>
    Unsubscribe,
    /// <summary>A subscriber dies (its actor stops without unsubscribing).</summary>
    KillSubscriber,
    /// <summary>An executor dies (its actor stops: the worker process is gone).</summary>
    KillExecutor,
    /// <summary>An external worker vanishes (sends nothing more).</summary>
    Vanish,
    /// <summary>A lease is disposed without an outcome.</summary>
    DisposeLease,
    /// <summary>Not an operation: something the harness was told later (a queued run started or was withdrawn, an
    /// executor was signalled, a reply arrived after its timeout).</summary>
    Notice,
}

/// <summary>How an operation ended.</summary>
public enum Outcome
{
    /// <summary>The session answered (<see cref="ModelEntry.Reply"/>).</summary>
    Replied,
    /// <summary>The session answered <c>Unavailable</c> (its journal could not record the change).</summary>
    Unavailable,
    /// <summary>No answer within the ask timeout: the command may or may not have taken effect.</summary>
    TimedOut,
    /// <summary>The call failed otherwise (the node was gone, an unexpected exception).</summary>
    Failed,
    /// <summary>Sent without an answer to wait for (a lease's publish, which is fire-and-forget).</summary>
    Sent,
    /// <summary>A local action of the harness (an actor stopped, a worker went quiet).</summary>
    Done,
}

/// <summary>How the work of a run is done.</summary>
public enum ExecutorKind
{
    /// <summary>A <c>RunLease</c> from <c>IRunnerClient.ReserveAsync</c> (its executor actor is the library's).</summary>
    Lease,
    /// <summary>A worker actor of the harness named as the reservation's executor.</summary>
    Actor,
    /// <summary>An external worker with no executor actor (bounded by its deadline and, maybe, heartbeats).</summary>
    External,
}

/// <summary>
/// One operation and its answer (or a notice). The session acted on it at some instant between <see cref="Start"/> and
/// <see cref="End"/>: all a check may assume about when.
/// </summary>
public sealed record ModelEntry
{
    public required int Id { get; init; }
    public required OpKind Kind { get; init; }
    public required string SessionId { get; init; }

    /// <summary>The run the operation names, or the run a reservation was granted.</summary>
    public string? RunId { get; init; }

    /// <summary>Why the workload sent it: <c>current</c>, <c>stale</c>, <c>repeat</c>, <c>queued</c>, <c>signalled</c>, ...</summary>
    public required string Purpose { get; init; }

    /// <summary>The node it was sent through (<c>n2.1</c>: slot 2, first incarnation).</summary>
    public required string Via { get; init; }

    /// <summary>The node whose runner answered, when the answer says (raw commands); null otherwise.</summary>
    public string? Host { get; init; }

    /// <summary>The arguments in short (policy, deadline, event, ...).</summary>
    public string Args { get; init; } = "";

    public required TimeSpan Start { get; init; }
    public required TimeSpan End { get; init; }
    public required Outcome Outcome { get; init; }

    /// <summary>The answer, in the protocol's vocabulary (a lease's answers are translated into it).</summary>
    public IRunnerReply? Reply { get; init; }

    /// <summary>What went wrong, or what a notice says.</summary>
    public string? Error { get; init; }

    /// <summary>For a notice: the operation it follows up.</summary>
    public int? About { get; init; }

    public bool IsOperation => Kind != OpKind.Notice;

    public string Describe()
    {
        var text = new StringBuilder();
        text.Append('#').Append(Id).Append(' ');
        text.Append(Kind == OpKind.Notice ? $"[{RunClock.Format(End)}]" : $"[{RunClock.Format(Start)} .. {RunClock.Format(End)}]");
        text.Append(' ').Append(Via).Append(' ').Append(Kind).Append("('").Append(SessionId).Append('\'');
        if (RunId is not null && Kind != OpKind.Reserve) text.Append(", ").Append(Short(RunId));
        if (Args.Length > 0) text.Append(", ").Append(Args);
        text.Append(") ").Append(Purpose);
        text.Append(" -> ");
        text.Append(Outcome switch
        {
            Outcome.Replied => Reply is null ? "replied" : Show(Reply),
            Outcome.Unavailable => $"Unavailable({(Reply as Unavailable)?.Reason ?? Error})",
            Outcome.TimedOut => "no answer (timed out)",
            Outcome.Failed => $"failed: {Error}",
            Outcome.Sent => "sent",
            Outcome.Done => Error ?? "done",
            _ => Outcome.ToString(),
        });
        if (Host is not null) text.Append(" [runner on ").Append(Host).Append(']');
        if (About is not null) text.Append(" (about #").Append(About).Append(')');
        return text.ToString();
    }

    public static string Short(string? runId) => runId is null ? "-" : runId.Length > 8 ? runId[..8] : runId;

    /// <summary>A reply in one line, run ids shortened.</summary>
    public static string Show(IRunnerReply reply) => reply switch
    {
        Reserved r => $"Reserved({Short(r.RunId)})",
        AlreadyRunning a => $"AlreadyRunning({Short(a.RunId)})",
        Queued q => $"Queued({Short(q.RunId)}, {q.Position})",
        Rejected r => $"Rejected({r.Reason}{(r.RunId is null ? "" : ", " + Short(r.RunId))})",
        Finalized f => $"Finalized({Short(f.RunId)}, {f.Status.ToWire()}{(f.Error is null ? "" : ", " + f.Error)})",
        StaleRun s => $"StaleRun({Short(s.RunId)}, current {Short(s.CurrentRunId)})",
        AlreadyFinalized a => $"AlreadyFinalized({Short(a.RunId)}, {a.Status.ToWire()})",
        CancelRequested c => $"CancelRequested({Short(c.RunId)})",
        NothingToCancel => "NothingToCancel",
        Published p => $"Published({Short(p.RunId)}, seq {p.Sequence}{(p.CancelRequested ? ", cancel requested" : "")})",
        Subscribed s => $"Subscribed(last {s.LastSequence})",
        Unsubscribed => "Unsubscribed",
        Unavailable u => $"Unavailable({u.Reason})",
        RunnerSnapshot s => $"Snapshot({s.Status.ToWire()}, {Short(s.RunId)}{(s.Error is null ? "" : ", " + s.Error)}" +
                            $"{(s.CancelRequested ? ", cancel requested" : "")}, queue {s.QueueLength}, subscribers {s.SubscriberCount}, last seq {s.LastSequence})",
        RunRecord r => $"Record({Short(r.RunId)}, {r.Status.ToWire()}{(r.Error is null ? "" : ", " + r.Error)}" +
                       $"{(r.CancelRequested ? ", cancel requested" : "")}, started {r.StartedAt:HH:mm:ss.fff}, ended {r.EndedAt:HH:mm:ss.fff})",
        UnknownRun u => $"UnknownRun({Short(u.RunId)})",
        InvalidCommand i => $"InvalidCommand({i.Reason})",
        _ => reply.GetType().Name,
    };

    /// <summary>An event in one line.</summary>
    public static string Show(AgentEvent evt) =>
        $"{evt.Sequence}:{evt.WireName()}({Short(evt.RunId)}{evt switch
        {
            ExecutionFinished f => ", " + f.Status.ToWire() + (f.Error is null ? "" : ", " + f.Error),
            ReplayGap g => $", {g.FromSequence}..{g.ToSequence}",
            RunCancelling c => ", " + c.Reason,
            _ => "",
        }})";
}
