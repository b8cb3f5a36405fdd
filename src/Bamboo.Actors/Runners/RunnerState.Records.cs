using System.Security.Cryptography;
using System.Text;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Runners;

/// <summary>Run records, idempotent starts and the deletion of a session's history.</summary>
public sealed partial class RunnerState<TRef>
{
    private Dictionary<string, IdempotentStart>? _starts; // starts by idempotency key, within the idempotency window

    /// <summary>
    /// The record of run <paramref name="runId"/> while the session holds it: the current (or last) run, or a queued one.
    /// Older runs live in the read model; for them the answer is <see cref="UnknownRun"/>.
    /// </summary>
    public RunnerDecision<TRef> GetRun(string runId)
    {
        if (runId == RunId && Request is { } request)
        {
            return Decide(new RunRecord(SessionId, runId, Status, request.CreatedAt, StartedAt, Status == RunStatus.Running ? null : CompletedAt,
                Error, request.OnConflict, request.Agent, request.Input, Output, RoundCount, LastToolName, LastSequence,
                CancelRequested, CancelReason, CancelledBy, QueuePosition: null));
        }
        var index = _queue?.FindIndex(q => q.RunId == runId) ?? -1;
        if (index >= 0 && _queue![index].Request is { } queued)
        {
            return Decide(new RunRecord(SessionId, runId, RunStatus.Pending, queued.CreatedAt, null, null, null, queued.OnConflict,
                queued.Agent, queued.Input, null, 0, null, LastSequence, false, null, null, QueuePosition: index + 1));
        }
        return Decide(new UnknownRun(SessionId, runId));
    }

    /// <summary>
    /// Deletes the session's history (<see cref="RunnerCommands.DeleteSession"/>): refused with
    /// <c>Rejected("session_busy")</c> while a run is active or queued. The session starts over as if it never ran, but
    /// numbers its events above every sequence it used, so a cursor from before never goes backwards.
    /// </summary>
    public RunnerDecision<TRef> Delete(DateTimeOffset now)
    {
        if (HasRuns) return Decide(new Rejected(SessionId, "session_busy", RunId));
        Record(new RunnerFact<TRef>.SessionPurged(now));
        return Decide(new SessionDeleted(SessionId));
    }

    private void Purge()
    {
        ForgetRun();
        _starts = null;
        _log.Clear();
    }

    /// <summary>
    /// The answer a start with the same idempotency key already got, within the idempotency window: the same answer
    /// for the same request, <c>Rejected("idempotency_key_reused")</c> for another one; null for a new key.
    /// </summary>
    private IRunnerReply? IdempotentAnswer(RunRequest request, DateTimeOffset now)
    {
        if (request.IdempotencyKey is not { } key || _starts is null) return null;
        if (_starts.Count > 0) Forget(now);
        if (!_starts.TryGetValue(key, out var start)) return null;
        return start.RequestDigest != request.RequestDigest ? new Rejected(SessionId, "idempotency_key_reused", start.RunId)
            : start.QueuePosition > 0 ? new Queued(SessionId, start.RunId, start.QueuePosition, Replayed: true)
            : new Reserved(SessionId, start.RunId, start.At, Replayed: true);
    }

    /// <summary>Keeps the answer a start with an idempotency key got.</summary>
    /// <param name="runId">The run the start created.</param>
    /// <param name="request">The start's request.</param>
    /// <param name="queuePosition">Where it was queued (0: it started at once).</param>
    private void Remember(string runId, RunRequest? request, int queuePosition)
    {
        if (request?.IdempotencyKey is not { } key) return;
        // A queued run that starts later keeps its first answer (Queued): that is what its retry must see again.
        (_starts ??= []).TryAdd(key, new IdempotentStart(key, request.RequestDigest, runId, request.CreatedAt, queuePosition));
    }

    private void Forget(DateTimeOffset now)
    {
        var horizon = now - _settings.IdempotencyWindow;
        foreach (var (key, start) in _starts!)
        {
            if (start.At < horizon) _starts.Remove(key);
        }
    }

    /// <summary>
    /// A digest of what a start asked for (policy, deadline, agent, input, heartbeat), to tell a retry from another
    /// request reusing its idempotency key.
    /// </summary>
    public static string RequestDigest(ConflictPolicy policy, TimeSpan? deadline, string? agent, string? input, TimeSpan? heartbeatTimeout)
    {
        var text = string.Join('\u001f', policy, deadline?.Ticks, agent, input, heartbeatTimeout?.Ticks);
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)), 0, 16);
    }
}

/// <summary>
/// A start made with an idempotency key, and the answer it got — <c>Reserved(RunId, At)</c>, or <c>Queued(RunId,
/// QueuePosition)</c> when <paramref name="QueuePosition"/> is not 0 — kept for <see cref="RunnerSettings.IdempotencyWindow"/>.
/// </summary>
public sealed record IdempotentStart(string Key, string? RequestDigest, string RunId, DateTimeOffset At, int QueuePosition);
