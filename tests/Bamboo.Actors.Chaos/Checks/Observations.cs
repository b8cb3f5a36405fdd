using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Checks;

/// <summary>
/// What the answers of a history prove about runs and sequences. Only answers count: a request with no answer, or 503,
/// proves nothing (it may have taken effect at any time after it was sent, or never).
/// </summary>
public static class Observations
{
    private static readonly HashSet<string> Terminal = ["completed", "cancelled", "error"];

    public static IEnumerable<RunActivity> Activities(IEnumerable<HistoryEntry> entries)
    {
        foreach (var entry in entries)
        {
            if (entry.Json is null) continue;
            var session = entry.SessionId;
            switch (entry.Kind, entry.Status)
            {
                case (RequestKind.Reserve, 201):
                case (RequestKind.StartRun, 202) when entry.Reply("status") == "running":
                    if (entry.Reply("runId") is { } started) yield return new RunActivity(session, started, entry, Accepted: false);
                    break;
                case (RequestKind.Reserve or RequestKind.StartRun, 409) when entry.Reply("error") == "already_running":
                    if (entry.Reply("runId") is { } running) yield return new RunActivity(session, running, entry, Accepted: false);
                    break;
                case (RequestKind.PublishEvent, 202):
                case (RequestKind.Finalize, 200):
                    yield return new RunActivity(session, entry.Request.RunId!, entry, Accepted: true);
                    break;
                // A cancel naming a run may remove a queued one: only a cancel of "the active run" proves activity.
                case (RequestKind.Cancel, 202) when entry.Request.RunId is null:
                    if (entry.Reply("runId") is { } cancelling) yield return new RunActivity(session, cancelling, entry, Accepted: false);
                    break;
                case (RequestKind.ReadSnapshot, 200) when entry.Reply("status") == "running":
                    if (entry.Reply("runId") is { } current) yield return new RunActivity(session, current, entry, Accepted: false);
                    break;
            }
        }
    }

    public static IEnumerable<RunEnding> Endings(IEnumerable<HistoryEntry> entries)
    {
        foreach (var entry in entries)
        {
            if (entry.Json is null) continue;
            switch (entry.Kind, entry.Status)
            {
                case (RequestKind.Finalize, 200) when entry.Reply("status") is { } status:
                    yield return new RunEnding(entry.SessionId, entry.Request.RunId!, entry, status, entry.Reply("error"));
                    break;
                case (RequestKind.Finalize, 409) when entry.Reply("error") == "already_finalized" && entry.Reply("status") is { } status:
                    yield return new RunEnding(entry.SessionId, entry.Request.RunId!, entry, status, null);
                    break;
                case (RequestKind.ReadSnapshot, 200) when entry.Reply("status") is { } status && Terminal.Contains(status):
                    if (entry.Reply("runId") is { } runId) yield return new RunEnding(entry.SessionId, runId, entry, status, entry.Reply("error"));
                    break;
            }
        }
    }

    public static IEnumerable<SequenceObservation> Sequences(IEnumerable<HistoryEntry> entries)
    {
        foreach (var entry in entries)
        {
            switch (entry.Kind, entry.Status)
            {
                case (RequestKind.PublishEvent, 202) when entry.ReplyNumber("sequence") is { } sequence:
                    yield return new SequenceObservation(entry.SessionId, sequence, entry);
                    break;
                case (RequestKind.ReadSnapshot, 200) when entry.ReplyNumber("lastSequence") is { } last:
                    yield return new SequenceObservation(entry.SessionId, last, entry);
                    break;
                case (RequestKind.ReadSnapshot, 404) when entry.Reply("error") == "unknown_session":
                    yield return new SequenceObservation(entry.SessionId, 0, entry);
                    break;
            }
        }
    }
}
