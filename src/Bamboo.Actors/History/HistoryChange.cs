using Akka.Actor;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;

namespace Bamboo.Actors.History;

/// <summary>
/// What one session fact changes in the read model, stripped of what only the runner needs (executors, reservers,
/// deadlines). Both stores apply the same changes, so the SQL tables and the in-memory model hold the same rows.
/// </summary>
public abstract record HistoryChange(string SessionId)
{
    /// <summary>A run was created: started at once (<paramref name="StartedAt"/> set) or queued, or a queued run started.</summary>
    public sealed record RunCreated(string SessionId, string RunId, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt,
        ConflictPolicy OnConflict, string? Agent, string? Input, long Sequence) : HistoryChange(SessionId);

    /// <summary>Cancellation of a run was requested.</summary>
    public sealed record RunCancelling(string SessionId, string RunId, string Reason, string? By, long Sequence, DateTimeOffset At)
        : HistoryChange(SessionId);

    /// <summary>A run ended (<paramref name="Withdrawn"/>: a queued run that never started).</summary>
    public sealed record RunFinished(string SessionId, string RunId, RunStatus Status, string? Error, DateTimeOffset EndedAt,
        int RoundCount, string? LastToolName, string? Output, long Sequence, bool Withdrawn) : HistoryChange(SessionId);

    /// <summary>Executors' events of a run were recorded: the latest sequence, time and diagnostics among them.</summary>
    public sealed record Progress(string SessionId, string RunId, long Sequence, DateTimeOffset At, int? RoundCount, string? LastToolName)
        : HistoryChange(SessionId);

    /// <summary>The session was deleted: every row of it goes.</summary>
    public sealed record Purged(string SessionId, DateTimeOffset At) : HistoryChange(SessionId);
}

/// <summary>Turns session facts into <see cref="HistoryChange"/>s.</summary>
public static class HistoryChanges
{
    /// <summary>The changes <paramref name="fact"/> of <paramref name="sessionId"/> makes (none for facts no model needs).</summary>
    public static void Add(List<HistoryChange> changes, string sessionId, RunnerFact<IActorRef> fact)
    {
        switch (fact)
        {
            case RunnerFact<IActorRef>.RunStarted started:
            {
                var request = started.Request;
                changes.Add(new HistoryChange.RunCreated(sessionId, started.RunId, request?.CreatedAt ?? started.StartedAt, started.StartedAt,
                    request?.OnConflict ?? ConflictPolicy.Reject, request?.Agent, request?.Input, started.Sequence));
                break;
            }
            case RunnerFact<IActorRef>.RunEnqueued queued when queued.Request is { } request:
                changes.Add(new HistoryChange.RunCreated(sessionId, queued.RunId, request.CreatedAt, null, request.OnConflict, request.Agent,
                    request.Input, queued.Sequence));
                break;
            case RunnerFact<IActorRef>.CancelRequested cancel:
                changes.Add(new HistoryChange.RunCancelling(sessionId, cancel.RunId, cancel.Reason, cancel.By, cancel.Sequence, cancel.At));
                break;
            case RunnerFact<IActorRef>.RunEnded ended:
                changes.Add(new HistoryChange.RunFinished(sessionId, ended.RunId, ended.Status, ended.Error, ended.CompletedAt, ended.RoundCount,
                    ended.LastToolName, ended.Output, ended.Sequence, Withdrawn: false));
                break;
            case RunnerFact<IActorRef>.QueuedRunWithdrawn withdrawn:
                changes.Add(new HistoryChange.RunFinished(sessionId, withdrawn.RunId, withdrawn.Status, withdrawn.Error, withdrawn.At, 0, null,
                    null, withdrawn.Sequence, Withdrawn: true));
                break;
            case RunnerFact<IActorRef>.EventsRecorded recorded:
                foreach (var evt in recorded.Events) AddProgress(changes, sessionId, evt);
                break;
            case RunnerFact<IActorRef>.SessionPurged purged:
                changes.Add(new HistoryChange.Purged(sessionId, purged.At));
                break;
        }
    }

    /// <summary>One event's progress, merged into the previous change when that is the same run's progress: a batch
    /// of token deltas costs one row update, not one per event.</summary>
    private static void AddProgress(List<HistoryChange> changes, string sessionId, AgentEvent evt)
    {
        int? rounds = evt is RunnerProgress progress ? progress.RoundCount : null;
        var tool = evt switch
        {
            ToolStarted started => started.ToolName,
            ToolLifecycle lifecycle => lifecycle.ToolName,
            _ => null,
        };
        if (changes.Count > 0 && changes[^1] is HistoryChange.Progress last && last.SessionId == sessionId && last.RunId == evt.RunId)
        {
            changes[^1] = new HistoryChange.Progress(sessionId, evt.RunId, Math.Max(last.Sequence, evt.Sequence),
                evt.Timestamp > last.At ? evt.Timestamp : last.At, rounds ?? last.RoundCount, tool ?? last.LastToolName);
            return;
        }
        changes.Add(new HistoryChange.Progress(sessionId, evt.RunId, evt.Sequence, evt.Timestamp, rounds, tool));
    }
}
