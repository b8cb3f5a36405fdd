using Bamboo.Actors.Chaos.Model.Records;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Chaos.Model.Checks;

/// <summary>
/// Evidence that run <paramref name="RunId"/> was its session's active run at some instant between
/// <paramref name="From"/> and <paramref name="To"/>: an answer that says so (reserved, already running, a cancel of the
/// active run, an accepted event or heartbeat, an accepted finalize, a snapshot or record showing it running), or an event
/// of the run stamped by its runner (then the interval is the stamp, give or take <see cref="ModelObservations.Stamp"/>).
/// </summary>
public sealed record Activity(string SessionId, string RunId, TimeSpan From, TimeSpan To, string What, ModelEntry? Entry, SubscriberLog? Subscriber);

/// <summary>
/// Evidence that run <paramref name="RunId"/> had ended with <paramref name="Status"/> by <paramref name="By"/>: an
/// acknowledged finalize, <c>AlreadyFinalized</c>, a snapshot or record in a terminal status, an
/// <c>execution_finished</c> event. <paramref name="EndedAt"/> is when the session says it ended, when the evidence says.
/// </summary>
public sealed record Ending(string SessionId, string RunId, RunStatus Status, string? Error, TimeSpan After, TimeSpan By, bool Acknowledged,
    string What, ModelEntry? Entry, SubscriberLog? Subscriber, TimeSpan? EndedAt)
{
    public string Describe() => Error is null ? Status.ToWire() : $"{Status.ToWire()} ({Error})";
}

/// <summary>Reads activities and endings out of a model run's history and subscribers.</summary>
public static class ModelObservations
{
    /// <summary>How far a runner's stamp (its wall clock) may be from the harness's timeline (a monotonic clock).</summary>
    public static readonly TimeSpan Stamp = TimeSpan.FromMilliseconds(25);

    public static IEnumerable<Activity> Activities(ModelRecord record)
    {
        var started = new Dictionary<(string, string), TimeSpan>();
        foreach (var entry in record.Entries.Where(Counts).OrderBy(entry => entry.End))
        {
            var session = entry.SessionId;
            switch (entry.Reply)
            {
                case Reserved reserved:
                    // A queued run's start is told later: its notice starts when the reservation was sent.
                    yield return new Activity(session, reserved.RunId, entry.Start, entry.End, "reserved", entry, null);
                    started.TryAdd((session, reserved.RunId), entry.End);
                    break;
                case AlreadyRunning running:
                    yield return new Activity(session, running.RunId, entry.Start, entry.End, "already running", entry, null);
                    break;
                case CancelRequested cancel when entry.Kind == OpKind.Cancel:
                    // A cancel naming a run may remove a queued one: only a run known to have started before is proven active.
                    if (entry.RunId is null || (started.TryGetValue((session, cancel.RunId), out var at) && at < entry.Start))
                        yield return new Activity(session, cancel.RunId, entry.Start, entry.End, "cancel requested", entry, null);
                    break;
                case Published published:
                    yield return new Activity(session, published.RunId, entry.Start, entry.End, "accepted", entry, null);
                    break;
                case Finalized finalized when entry.Kind is OpKind.Finalize or OpKind.DisposeLease && entry.Outcome == Outcome.Replied:
                    yield return new Activity(session, finalized.RunId, entry.Start, entry.End, "finalized", entry, null);
                    break;
                case RunnerSnapshot { Status: RunStatus.Running, RunId: { } current }:
                    yield return new Activity(session, current, entry.Start, entry.End, "snapshot running", entry, null);
                    break;
                case RunRecord { Status: RunStatus.Running } runRecord:
                    yield return new Activity(session, runRecord.RunId, entry.Start, entry.End, "record running", entry, null);
                    break;
            }
        }
        foreach (var subscriber in record.Subscribers)
        {
            foreach (var received in subscriber.Events)
            {
                if (received.Event is ReplayGap or RunQueued or ExecutionFinished || received.Event.RunId.Length == 0) continue;
                var at = record.Clock.Of(received.Event.Timestamp);
                yield return new Activity(subscriber.SessionId, received.Event.RunId, at - Stamp, at + Stamp, received.Event.WireName(), null, subscriber);
            }
        }
    }

    public static IEnumerable<Ending> Endings(ModelRecord record)
    {
        foreach (var entry in record.Entries.Where(Counts))
        {
            var session = entry.SessionId;
            switch (entry.Reply)
            {
                case Finalized finalized when entry.Outcome == Outcome.Replied:
                    yield return new Ending(session, finalized.RunId, finalized.Status, finalized.Error, entry.Start, entry.End, true, "finalize acknowledged",
                        entry, null, null);
                    break;
                case AlreadyFinalized already:
                    yield return new Ending(session, already.RunId, already.Status, null, entry.Start, entry.End, false, "already finalized", entry, null, null);
                    break;
                case RunnerSnapshot { RunId: { } runId } snapshot when snapshot.Status.IsTerminal():
                    yield return new Ending(session, runId, snapshot.Status, snapshot.Error, entry.Start, entry.End, false, "snapshot", entry, null,
                        snapshot.CompletedAt is { } completed ? record.Clock.Of(completed) : null);
                    break;
                case RunRecord runRecord when runRecord.Status.IsTerminal():
                    yield return new Ending(session, runRecord.RunId, runRecord.Status, runRecord.Error, entry.Start, entry.End, false, "record", entry, null,
                        runRecord.EndedAt is { } endedAt ? record.Clock.Of(endedAt) : null);
                    break;
            }
        }
        foreach (var subscriber in record.Subscribers)
        {
            foreach (var received in subscriber.Events)
            {
                if (received.Event is not ExecutionFinished finished) continue;
                var at = record.Clock.Of(finished.Timestamp);
                yield return new Ending(subscriber.SessionId, finished.RunId, finished.Status, finished.Error, at - Stamp, received.At, false,
                    "execution_finished", null, subscriber, at);
            }
        }
    }

    /// <summary>Whether an entry says something about its own session (a misdelivered message says nothing about it).</summary>
    public static bool Counts(ModelEntry entry) =>
        !(entry.Kind == OpKind.Notice && entry.Purpose.StartsWith(Workload.ModelRequests.Misdelivery, StringComparison.Ordinal));

    /// <summary>Runs queued and withdrawn before they started (their <c>execution_finished</c> ends no running run).</summary>
    public static HashSet<(string SessionId, string RunId)> QueuedRuns(ModelRecord record) =>
        record.Entries.Where(entry => entry.Reply is Queued).Select(entry => (entry.SessionId, ((Queued)entry.Reply!).RunId)).ToHashSet();
}
