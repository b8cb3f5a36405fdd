using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.History;

/// <summary>
/// The read model of sessions and runs: written by the projection only (one writer), read by any query. Every change
/// is an idempotent upsert or update, and a batch is applied with the offset it reached in one transaction, so a
/// projection that restarts resumes after the last batch applied, without applying anything twice.
/// </summary>
public interface IHistoryStore : IAsyncDisposable
{
    /// <summary>Creates the tables when missing.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>The offset the projection <paramref name="projection"/> last stored (0: none).</summary>
    Task<long> ReadOffsetAsync(string projection, CancellationToken cancellationToken);

    /// <summary>
    /// Applies <paramref name="changes"/> and moves the offset of <paramref name="projection"/> from
    /// <paramref name="expectedOffset"/> to <paramref name="offset"/>, all in one transaction.
    /// </summary>
    /// <exception cref="OffsetConflictException">The stored offset is not <paramref name="expectedOffset"/> (another
    /// projection instance moved it): nothing was applied.</exception>
    Task ApplyAsync(string projection, IReadOnlyList<HistoryChange> changes, long expectedOffset, long offset, CancellationToken cancellationToken);

    /// <summary>A page of sessions, newest activity first.</summary>
    Task<SessionPage> ListSessionsAsync(ListQuery query, CancellationToken cancellationToken);

    /// <summary>A page of <paramref name="sessionId"/>'s runs, newest first.</summary>
    Task<RunPage> ListRunsAsync(string sessionId, ListQuery query, CancellationToken cancellationToken);

    /// <summary>The record of <paramref name="runId"/>, or null.</summary>
    Task<RunRecord?> GetRunAsync(string sessionId, string runId, CancellationToken cancellationToken);

    /// <summary>The summary of <paramref name="sessionId"/>, or null.</summary>
    Task<SessionSummary?> GetSessionAsync(string sessionId, CancellationToken cancellationToken);

    /// <summary>Sessions whose current run the read model shows as running, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<string>> RunningSessionsAsync(int limit, CancellationToken cancellationToken);

    /// <summary>Deletes ended runs older than <paramref name="horizon"/> and sessions with no activity since then (and no
    /// run left running); returns how many rows went.</summary>
    Task<int> PruneAsync(DateTimeOffset horizon, CancellationToken cancellationToken);
}

/// <summary>The stored offset was moved by another projection instance; the batch was not applied.</summary>
public sealed class OffsetConflictException(string projection, long expected)
    : Exception($"the offset of projection '{projection}' is no longer {expected}: another instance applied facts");

/// <summary>Helpers shared by the stores.</summary>
internal static class HistoryRows
{
    /// <summary>Sort key of a time: UTC ticks.</summary>
    public static long Ticks(DateTimeOffset at) => at.UtcTicks;

    /// <summary>A time from its sort key.</summary>
    public static DateTimeOffset Time(long ticks) => new(ticks, TimeSpan.Zero);

    /// <summary>The next page's cursor: the last item's key, when the page is full.</summary>
    public static HistoryCursor? Next<T>(IReadOnlyList<T> items, int limit, Func<T, HistoryCursor> key) =>
        items.Count == limit && limit > 0 ? key(items[^1]) : null;

    /// <summary>A session row's status: a session with only queued runs is pending.</summary>
    public static bool Terminal(RunStatus status) => status.IsTerminal();
}
