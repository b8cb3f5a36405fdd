using Bamboo.Actors.Chaos.History;
using Bamboo.Actors.Chaos.Model.Faults;
using Bamboo.Actors.Chaos.Model.Records;
using Bamboo.Actors.Events;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Chaos.Model.Checks;

/// <summary>
/// Every subscriber sees its session's sequences strictly increasing, across the runner's incarnations and nodes (a
/// library subscription resubscribes by itself; a raw one hears one incarnation): never a repeat, never a step back, and
/// a gap marker only ahead of what it already has.
/// </summary>
public sealed class SubscriberOrderCheck : IModelCheck
{
    public string Name => "subscriber-sequences-increase";

    public IEnumerable<ModelViolation> Find(ModelRecord record)
    {
        foreach (var subscriber in record.Subscribers)
        {
            long last = 0;
            Received? previous = null;
            foreach (var received in subscriber.Events)
            {
                var evt = received.Event;
                var problem = evt switch
                {
                    ReplayGap gap when gap.FromSequence <= last => $"a replay gap {gap.FromSequence}..{gap.ToSequence} after sequence {last}",
                    ReplayGap => null,
                    _ when evt.Sequence <= last => $"sequence {evt.Sequence} after {last}",
                    _ => null,
                };
                if (problem is not null)
                {
                    yield return ModelViolation.Of(Name, subscriber.SessionId,
                        $"session '{subscriber.SessionId}': subscriber #{subscriber.Id} received {problem}", [],
                        [subscriber.Describe(), $"  {Show(previous)}", $"  {Show(received)}"]);
                    break;
                }
                if (evt is not ReplayGap) last = evt.Sequence;
                else last = Math.Max(last, ((ReplayGap)evt).ToSequence);
                previous = received;
            }
        }
    }

    private static string Show(Received? received) =>
        received is null ? "(nothing before)" : $"{RunClock.Format(received.At)} {ModelEntry.Show(received.Event)}";
}

/// <summary>
/// A sequence number names one event of its session for ever: no two observations (subscribers, the final replay,
/// acknowledged publishes) ever show two different events under one number — which is what happens when a new
/// incarnation numbers from a point below what an earlier one already used.
/// </summary>
public sealed class SequenceIdentityCheck : IModelCheck
{
    public string Name => "sequence-names-one-event";

    public IEnumerable<ModelViolation> Find(ModelRecord record)
    {
        var seen = new Dictionary<(string, long), (string RunId, string Type, string Where)>();
        var reported = new HashSet<string>();
        IEnumerable<(string Session, long Sequence, string RunId, string Type, string Where)> Observations()
        {
            foreach (var subscriber in record.Subscribers)
            foreach (var received in subscriber.Events.Where(received => received.Event is not ReplayGap))
                yield return (subscriber.SessionId, received.Event.Sequence, received.Event.RunId, received.Event.WireName(),
                    $"subscriber #{subscriber.Id} at {RunClock.Format(received.At)}");
            foreach (var truth in record.Truth.Values)
            foreach (var evt in truth.Events)
                yield return (truth.SessionId, evt.Sequence, evt.RunId, evt.WireName(), "the final replay");
            foreach (var entry in record.Entries.Where(entry => entry is { Kind: OpKind.Publish, Reply: Published }))
            {
                var published = (Published)entry.Reply!;
                yield return (entry.SessionId, published.Sequence, published.RunId, entry.Args.Split(',')[0], $"publish #{entry.Id}");
            }
        }
        foreach (var (session, sequence, runId, type, where) in Observations())
        {
            if (!seen.TryGetValue((session, sequence), out var first))
            {
                seen[(session, sequence)] = (runId, type, where);
                continue;
            }
            if (first.RunId == runId && first.Type == type) continue;
            if (!reported.Add(session)) continue;
            yield return ModelViolation.Of(Name, session,
                $"session '{session}': sequence {sequence} named two events: {first.Type} of run {ModelEntry.Short(first.RunId)} ({first.Where}) " +
                $"and {type} of run {ModelEntry.Short(runId)} ({where})", []);
        }
    }
}

/// <summary>
/// Numbering never goes backwards: an acknowledged publish that started after another one ended got a higher sequence,
/// and a session's last sequence is never below a critical event it had acknowledged or delivered (critical events are
/// recorded before anyone hears of them).
/// </summary>
public sealed class SequenceNeverBackCheck : IModelCheck
{
    public string Name => "sequence-never-backwards";

    public IEnumerable<ModelViolation> Find(ModelRecord record)
    {
        foreach (var session in record.BySession)
        {
            var acks = session.Where(entry => entry is { Kind: OpKind.Publish, Reply: Published }).ToArray();
            var byEnd = acks.OrderBy(entry => entry.End).ToArray();
            ModelEntry? highest = null;
            var index = 0;
            foreach (var later in acks.OrderBy(entry => entry.Start))
            {
                for (; index < byEnd.Length && byEnd[index].End < later.Start; index++)
                {
                    if (highest is null || Sequence(byEnd[index]) > Sequence(highest)) highest = byEnd[index];
                }
                if (highest is null || Sequence(later) > Sequence(highest)) continue;
                yield return ModelViolation.Of(Name, session.Key,
                    $"session '{session.Key}': publish #{later.Id} got sequence {Sequence(later)} after #{highest.Id} had got {Sequence(highest)}",
                    [highest, later]);
                break;
            }

            // Critical sequences known durable, by the time they were known.
            var durable = acks.Where(entry => IsCritical(entry.Args)).Select(entry => (At: entry.End, Sequence: Sequence(entry), Entry: (ModelEntry?)entry, What: $"publish #{entry.Id}"))
                .Concat(record.Subscribers.Where(subscriber => subscriber.SessionId == session.Key)
                    .SelectMany(subscriber => subscriber.Events.Where(received => received.Event is not ReplayGap && received.Event.IsCritical())
                        .Select(received => (At: received.At, received.Event.Sequence, Entry: (ModelEntry?)null, What: $"subscriber #{subscriber.Id}"))))
                .OrderBy(item => item.At).ToArray();
            foreach (var read in session.Where(entry => entry.Reply is RunnerSnapshot))
            {
                var last = ((RunnerSnapshot)read.Reply!).LastSequence;
                var before = durable.Where(item => item.At < read.Start).ToArray();
                if (before.Length == 0) continue;
                var known = before.MaxBy(item => item.Sequence);
                if (known.Sequence <= last) continue;
                yield return ModelViolation.Of(Name, session.Key,
                    $"session '{session.Key}': snapshot #{read.Id} says the last sequence is {last}, below critical event {known.Sequence} ({known.What} at {RunClock.Format(known.At)})",
                    [known.Entry, read]);
                break;
            }
        }
    }

    private static long Sequence(ModelEntry entry) => ((Published)entry.Reply!).Sequence;

    private static bool IsCritical(string args) => args.StartsWith("tool_", StringComparison.Ordinal);
}

/// <summary>
/// A cursor subscriber sees every event after its cursor, or an honest gap marker: compared with the session's events
/// read from cursor 0 at the end, every retained event between a subscriber's cursor (or the point it went live) and
/// the last sequence it received reached it, unless a gap marker it received covered it. Events a subscriber received
/// (or a publish had acknowledged) that the session no longer has are lost: a critical event never may be; a progress
/// event only in the window a crash or a failed write is documented to lose (the batch not yet recorded). A library
/// subscriber open at the end caught up with its session's last sequence.
/// </summary>
public sealed class CursorReplayCheck : IModelCheck
{
    private static readonly TimeSpan LossWindow = TimeSpan.FromSeconds(1);

    public string Name => "cursor-sees-every-event";

    public IEnumerable<ModelViolation> Find(ModelRecord record)
    {
        foreach (var subscriber in record.Subscribers)
        {
            if (!record.Truth.TryGetValue(subscriber.SessionId, out var truth) || !truth.Complete) continue;
            var events = subscriber.Events;
            var seen = events.Where(received => received.Event is not ReplayGap).Select(received => received.Event.Sequence).ToHashSet();
            if (seen.Count == 0) continue;
            var gaps = events.Select(received => received.Event).OfType<ReplayGap>().ToArray();
            var from = subscriber.Cursor ?? subscriber.LiveFrom ?? long.MaxValue;
            var to = seen.Max();
            var retainedFrom = truth.Gap?.ToSequence ?? 0;
            var missed = truth.Events.Where(evt => evt.Sequence > from && evt.Sequence <= to && evt.Sequence > retainedFrom && !seen.Contains(evt.Sequence) &&
                                                   !gaps.Any(gap => gap.FromSequence <= evt.Sequence && evt.Sequence <= gap.ToSequence)).ToArray();
            if (missed.Length == 0) continue;
            yield return ModelViolation.Of(Name, subscriber.SessionId,
                $"session '{subscriber.SessionId}': subscriber #{subscriber.Id} (cursor {subscriber.Cursor?.ToString() ?? "none"}, live from {subscriber.LiveFrom}) " +
                $"missed {missed.Length} event(s) the session holds, without a gap marker: {string.Join(", ", missed.Take(6).Select(ModelEntry.Show))}",
                [], Excerpt(subscriber, missed[0].Sequence));
        }

        // In memory, a session's events do not outlive its runner (passivation): only durable sessions must still hold them.
        if (record.Options.Topology != Nodes.Topology.Memory)
        {
            foreach (var violation in Lost(record)) yield return violation;
        }

        foreach (var end in record.SubscriberEnds.Where(end => end.Highest < end.SessionLast))
        {
            var subscriber = record.Subscribers.First(log => log.Id == end.Subscriber);
            if (subscriber.Kind != SubscriberKind.Library) continue;
            yield return ModelViolation.Of(Name, end.SessionId,
                $"session '{end.SessionId}': subscriber #{end.Subscriber}, open at the end, stopped at sequence {end.Highest} while the session is at {end.SessionLast}",
                [], Excerpt(subscriber, end.Highest));
        }
    }

    /// <summary>Events delivered or acknowledged that the session no longer holds.</summary>
    private IEnumerable<ModelViolation> Lost(ModelRecord record)
    {
        var windows = new FaultWindows(record);
        foreach (var truth in record.Truth.Values.Where(truth => truth.Complete))
        {
            var held = truth.Events.Select(evt => evt.Sequence).ToHashSet();
            var retainedFrom = truth.Gap?.ToSequence ?? 0;
            var id = Routing.SessionIds.ToEntityId(truth.SessionId);
            var delivered = record.Subscribers.Where(subscriber => subscriber.SessionId == truth.SessionId)
                .SelectMany(subscriber => subscriber.Events.Where(received => received.Event is not ReplayGap)
                    .Select(received => new Known(received.Event.Sequence, received.Event.IsCritical(), record.Clock.Of(received.Event.Timestamp),
                        $"{received.Event.WireName()} to subscriber #{subscriber.Id}", null)))
                .Concat(record.BySession[truth.SessionId].Where(entry => entry is { Kind: OpKind.Publish, Reply: Published })
                    .Select(entry => new Known(((Published)entry.Reply!).Sequence, entry.Args.StartsWith("tool_", StringComparison.Ordinal), entry.Start,
                        $"publish #{entry.Id} ({entry.Args})", entry)))
                .Where(item => item.Sequence > retainedFrom && !held.Contains(item.Sequence))
                .GroupBy(item => item.Sequence).Select(group => group.First()).OrderBy(item => item.Sequence).ToArray();
            if (delivered.Length == 0) continue;
            var critical = delivered.Where(item => item.Critical).ToArray();
            var unexcused = delivered.Where(item => !item.Critical && !Excused(record, id, item.At)).ToArray();
            var holds = $"the session holds {truth.Events.Count} events up to {truth.LastSequence}" +
                        (truth.Gap is { } g ? $", retention dropped up to {g.ToSequence}" : "");
            if (critical.Length > 0)
            {
                yield return ModelViolation.Of(Name, truth.SessionId,
                    $"session '{truth.SessionId}': {critical.Length} critical event(s) delivered or acknowledged are no longer held: " +
                    string.Join(", ", critical.Take(5).Select(item => $"{item.Sequence} at {RunClock.Format(item.At)} ({item.Where})")),
                    critical.Select(item => item.Entry).Take(6), [holds]);
            }
            if (unexcused.Length > 0)
            {
                var at = unexcused[0].At;
                yield return ModelViolation.Of(Name, truth.SessionId,
                    $"session '{truth.SessionId}': {unexcused.Length} progress event(s) delivered or acknowledged are no longer held, with no crash, " +
                    $"outage or failed write of the session within {LossWindow.TotalSeconds:0} s after them: " +
                    string.Join(", ", unexcused.Take(5).Select(item => $"{item.Sequence} at {RunClock.Format(item.At)} ({item.Where})")),
                    record.BySession[truth.SessionId].Where(entry => entry.Start >= at - TimeSpan.FromSeconds(1) && entry.Start <= at + TimeSpan.FromSeconds(2)).Take(12),
                    windows.Overlapping(at - LossWindow, at + LossWindow).Select(fault => $"fault: {fault.Describe()}").Prepend(holds));
            }
        }
    }

    private sealed record Known(long Sequence, bool Critical, TimeSpan At, string Where, ModelEntry? Entry);

    /// <summary>A crash (any node: the harness does not know where the session lived), an outage, a lost lease of the
    /// session's shard, or a failed write of the session soon after the event: the documented window of progress events
    /// a crash loses.</summary>
    private static bool Excused(ModelRecord record, string entityId, TimeSpan at) =>
        record.Faults.Any(fault => fault.Kind is ModelFaultKind.Crash or ModelFaultKind.Outage && fault.At >= at - LossWindow && fault.At <= at + LossWindow * 3) ||
        record.Faults.Any(fault => fault.Kind == ModelFaultKind.Downed && fault.At >= at - LossWindow && fault.At <= at + TimeSpan.FromSeconds(20)) ||
        // The node serving the session lost its shard's lease (its renewals stalled): the shard stops there and its
        // runners write nothing more, so their waiting batch is lost as in a crash. A loss is noticed once the lease's
        // timeout has passed without a renewal: up to that long (and the stall that caused it) after the event.
        record.LostLeases.Any(lost => lost.LeaseName == ShardLeaseName(entityId) && lost.At >= at - LossWindow &&
                                      lost.At <= at + record.Profile.LeaseTimeout * 2) ||
        // A failed write of the session loses the batch it carried; behind delayed writes (up to 0.8 s each) a batch may
        // be written seconds after its events were delivered, so the window is a crash's.
        record.Injected.Any(fault => fault.Fault is WriteFault.Fail or WriteFault.Reject && fault.PersistenceId.EndsWith("-" + entityId, StringComparison.Ordinal) &&
                                     fault.At >= at - ModelObservations.Stamp && fault.At <= at + LossWindow * 3);

    /// <summary>The name of the lease of the shard <paramref name="entityId"/> lives in (as the runner computes it).</summary>
    internal static string ShardLeaseName(string entityId) =>
        $"{Nodes.ModelNode.SystemName}-shard-{Sharding.BambooSharding.TypeName}-{new Routing.SessionMessageExtractor().ShardId(entityId)}";

    private static IEnumerable<string> Excerpt(SubscriberLog subscriber, long around)
    {
        yield return subscriber.Describe();
        var events = subscriber.Events;
        var index = events.Select((received, i) => (received, i)).FirstOrDefault(item => item.received.Event.Sequence >= around).i;
        foreach (var received in events.Skip(Math.Max(0, index - 4)).Take(8))
            yield return $"  {RunClock.Format(received.At)} {ModelEntry.Show(received.Event)}";
    }
}
