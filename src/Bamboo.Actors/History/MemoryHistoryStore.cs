using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.History;

/// <summary>
/// The read model in memory, for sessions that are not stored in SQL: the same rows and rules as
/// <see cref="SqlHistoryStore"/>, behind one lock. It lives as long as the process.
/// </summary>
public sealed class MemoryHistoryStore(int runsPerSession) : IHistoryStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SessionRow> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _offsets = new(StringComparer.Ordinal);

    private sealed class SessionRow(string sessionId)
    {
        public string SessionId { get; } = sessionId;
        public RunStatus Status { get; set; }
        public string? RunId { get; set; }
        public DateTimeOffset? StartedAt { get; set; }
        public DateTimeOffset? EndedAt { get; set; }
        public string? Error { get; set; }
        public DateTimeOffset LastEventAt { get; set; }
        public int RoundCount { get; set; }
        public string? LastToolName { get; set; }
        public long LastSequence { get; set; }
        public Dictionary<string, RunRecord> Runs { get; } = new(StringComparer.Ordinal);

        public SessionSummary Summary() =>
            new(SessionId, Status, RunId, StartedAt, EndedAt, Error, LastEventAt, RoundCount, LastToolName, LastSequence, Runs.Count);

        public void Touch(DateTimeOffset at, long sequence)
        {
            if (at > LastEventAt) LastEventAt = at;
            if (sequence > LastSequence) LastSequence = sequence;
        }
    }

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task<long> ReadOffsetAsync(string projection, CancellationToken cancellationToken)
    {
        lock (_lock) return Task.FromResult(_offsets.GetValueOrDefault(projection));
    }

    /// <inheritdoc />
    public Task ApplyAsync(string projection, IReadOnlyList<HistoryChange> changes, long expectedOffset, long offset, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_offsets.GetValueOrDefault(projection) != expectedOffset) throw new OffsetConflictException(projection, expectedOffset);
            foreach (var change in changes) Apply(change);
            _offsets[projection] = offset;
        }
        return Task.CompletedTask;
    }

    private void Apply(HistoryChange change)
    {
        switch (change)
        {
            case HistoryChange.RunCreated created:
            {
                var session = Session(created.SessionId, created.StartedAt ?? created.CreatedAt);
                session.Runs.TryGetValue(created.RunId, out var run);
                run = run is null
                    ? new RunRecord(created.SessionId, created.RunId, created.StartedAt is null ? RunStatus.Pending : RunStatus.Running,
                        created.CreatedAt, created.StartedAt, null, null, created.OnConflict, created.Agent, created.Input, null, 0, null,
                        created.Sequence, false, null, null, null)
                    : created.StartedAt is null ? run
                    : run with
                    {
                        Status = run.Status == RunStatus.Pending ? RunStatus.Running : run.Status, StartedAt = run.StartedAt ?? created.StartedAt,
                        LastSequence = Math.Max(run.LastSequence, created.Sequence),
                    };
                session.Runs[created.RunId] = run;
                // A start older than what the session has seen is a fact delivered again: the session moved on since.
                if (created.StartedAt is { } started && created.Sequence >= session.LastSequence)
                {
                    session.Status = RunStatus.Running;
                    session.RunId = created.RunId;
                    session.StartedAt = started;
                    session.EndedAt = null;
                    session.Error = null;
                    session.RoundCount = 0;
                    session.LastToolName = null;
                }
                session.Touch(created.StartedAt ?? created.CreatedAt, created.Sequence);
                KeepNewest(session);
                break;
            }
            case HistoryChange.RunCancelling cancelling when _sessions.TryGetValue(cancelling.SessionId, out var session):
                if (session.Runs.TryGetValue(cancelling.RunId, out var cancelled))
                {
                    session.Runs[cancelling.RunId] = cancelled with
                    {
                        CancelRequested = true, CancelReason = cancelling.Reason, CancelledBy = cancelling.By,
                        LastSequence = Math.Max(cancelled.LastSequence, cancelling.Sequence),
                    };
                }
                session.Touch(cancelling.At, cancelling.Sequence);
                break;
            case HistoryChange.RunFinished finished when _sessions.TryGetValue(finished.SessionId, out var session):
                if (session.Runs.TryGetValue(finished.RunId, out var ended))
                {
                    session.Runs[finished.RunId] = finished.Withdrawn
                        ? ended with { Status = finished.Status, EndedAt = finished.EndedAt, Error = finished.Error, LastSequence = Math.Max(ended.LastSequence, finished.Sequence) }
                        : ended with
                        {
                            Status = finished.Status, EndedAt = finished.EndedAt, Error = finished.Error, Output = finished.Output,
                            RoundCount = finished.RoundCount, LastToolName = finished.LastToolName,
                            LastSequence = Math.Max(ended.LastSequence, finished.Sequence),
                        };
                }
                if (!finished.Withdrawn && session.RunId == finished.RunId)
                {
                    session.Status = finished.Status;
                    session.EndedAt = finished.EndedAt;
                    session.Error = finished.Error;
                    session.RoundCount = finished.RoundCount;
                    session.LastToolName = finished.LastToolName;
                }
                session.Touch(finished.EndedAt, finished.Sequence);
                break;
            case HistoryChange.Progress progress when _sessions.TryGetValue(progress.SessionId, out var session):
                // Progress older than what a row has seen is delivered again: it leaves the diagnostics as they are.
                if (session.Runs.TryGetValue(progress.RunId, out var running) && progress.Sequence >= running.LastSequence)
                {
                    session.Runs[progress.RunId] = running with
                    {
                        RoundCount = progress.RoundCount ?? running.RoundCount, LastToolName = progress.LastToolName ?? running.LastToolName,
                        LastSequence = progress.Sequence,
                    };
                }
                if (session.RunId == progress.RunId && progress.Sequence >= session.LastSequence)
                {
                    session.RoundCount = progress.RoundCount ?? session.RoundCount;
                    session.LastToolName = progress.LastToolName ?? session.LastToolName;
                }
                session.Touch(progress.At, progress.Sequence);
                break;
            case HistoryChange.Purged purged:
                _sessions.Remove(purged.SessionId);
                break;
        }
    }

    private SessionRow Session(string sessionId, DateTimeOffset at)
    {
        if (!_sessions.TryGetValue(sessionId, out var session))
            _sessions[sessionId] = session = new SessionRow(sessionId) { LastEventAt = at };
        return session;
    }

    private void KeepNewest(SessionRow session)
    {
        if (session.Runs.Count <= runsPerSession) return;
        var pruned = session.Runs.Values.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.RunId, StringComparer.Ordinal)
            .Skip(runsPerSession).Where(r => r.Status.IsTerminal()).Select(r => r.RunId).ToList();
        foreach (var runId in pruned) session.Runs.Remove(runId);
    }

    /// <inheritdoc />
    public Task<SessionPage> ListSessionsAsync(ListQuery query, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var items = _sessions.Values
                .Where(s => query.Status is not { } status || s.Status == status)
                .Where(s => query.After is not { } after || s.LastEventAt < after.At
                    || (s.LastEventAt == after.At && string.CompareOrdinal(s.SessionId, after.Id) < 0))
                .OrderByDescending(s => s.LastEventAt).ThenByDescending(s => s.SessionId, StringComparer.Ordinal)
                .Take(query.Limit).Select(s => s.Summary()).ToList();
            var next = HistoryRows.Next(items, query.Limit, s => new HistoryCursor(s.LastEventAt, s.SessionId));
            return Task.FromResult(new SessionPage(items, next?.ForSessions()));
        }
    }

    /// <inheritdoc />
    public Task<RunPage> ListRunsAsync(string sessionId, ListQuery query, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            IEnumerable<RunRecord> runs = _sessions.TryGetValue(sessionId, out var session) ? session.Runs.Values : [];
            var items = runs
                .Where(r => query.Status is not { } status || r.Status == status)
                .Where(r => query.After is not { } after || r.CreatedAt < after.At
                    || (r.CreatedAt == after.At && string.CompareOrdinal(r.RunId, after.Id) < 0))
                .OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.RunId, StringComparer.Ordinal)
                .Take(query.Limit).ToList();
            var next = HistoryRows.Next(items, query.Limit, r => new HistoryCursor(r.CreatedAt, r.RunId));
            return Task.FromResult(new RunPage(sessionId, items, next?.ForRuns(sessionId)));
        }
    }

    /// <inheritdoc />
    public Task<RunRecord?> GetRunAsync(string sessionId, string runId, CancellationToken cancellationToken)
    {
        lock (_lock)
            return Task.FromResult(_sessions.TryGetValue(sessionId, out var session) ? session.Runs.GetValueOrDefault(runId) : null);
    }

    /// <inheritdoc />
    public Task<SessionSummary?> GetSessionAsync(string sessionId, CancellationToken cancellationToken)
    {
        lock (_lock) return Task.FromResult(_sessions.TryGetValue(sessionId, out var session) ? session.Summary() : null);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> RunningSessionsAsync(int limit, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            IReadOnlyList<string> running = _sessions.Values.Where(s => s.Status == RunStatus.Running).Take(limit).Select(s => s.SessionId).ToList();
            return Task.FromResult(running);
        }
    }

    /// <inheritdoc />
    public Task<int> PruneAsync(DateTimeOffset horizon, CancellationToken cancellationToken)
    {
        var pruned = 0;
        lock (_lock)
        {
            foreach (var session in _sessions.Values.ToList())
            {
                foreach (var run in session.Runs.Values.Where(r => r.Status.IsTerminal() && r.EndedAt < horizon).ToList())
                {
                    session.Runs.Remove(run.RunId);
                    pruned++;
                }
                if (session.LastEventAt < horizon && session.Status != RunStatus.Running && session.Runs.Count == 0)
                {
                    _sessions.Remove(session.SessionId);
                    pruned++;
                }
            }
        }
        return Task.FromResult(pruned);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
