using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.History;

/// <summary>
/// A session as the read model lists it: its current (or last) run and that run's diagnostics, its latest activity, and
/// how many runs the read model keeps for it.
/// </summary>
/// <param name="SessionId">The session.</param>
/// <param name="Status">Status of the current (or last) run; <see cref="RunStatus.Pending"/> when it has only queued runs.</param>
/// <param name="RunId">The current (or last) run.</param>
/// <param name="StartedAt">When that run started.</param>
/// <param name="EndedAt">When it ended (null while it runs).</param>
/// <param name="Error">Its error, for <see cref="RunStatus.Error"/>.</param>
/// <param name="LastEventAt">The time of the session's latest fact or event: what "newest activity first" sorts by.</param>
/// <param name="RoundCount">The run's latest round count.</param>
/// <param name="LastToolName">The run's latest tool.</param>
/// <param name="LastSequence">The sequence of the latest event the read model has seen.</param>
/// <param name="RunCount">Runs the read model keeps for the session (retention keeps the newest).</param>
public sealed record SessionSummary(
    string SessionId,
    RunStatus Status,
    string? RunId,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    string? Error,
    DateTimeOffset LastEventAt,
    int RoundCount,
    string? LastToolName,
    long LastSequence,
    int RunCount);

/// <summary>A page of sessions, newest activity first (reply to <c>IRunnerClient.ListSessionsAsync</c>).</summary>
/// <param name="Items">The sessions.</param>
/// <param name="NextCursor">Where the next page starts; null on the last page.</param>
public sealed record SessionPage(IReadOnlyList<SessionSummary> Items, string? NextCursor) : IRunnerReply
{
    /// <summary>Pages are equal when their items are.</summary>
    public bool Equals(SessionPage? other) => other is not null && NextCursor == other.NextCursor && Items.SequenceEqual(other.Items);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Items.Count, NextCursor);
}

/// <summary>A page of a session's runs, newest first (reply to <c>IRunnerClient.ListRunsAsync</c>).</summary>
/// <param name="SessionId">The session.</param>
/// <param name="Items">The runs.</param>
/// <param name="NextCursor">Where the next page starts; null on the last page.</param>
public sealed record RunPage(string SessionId, IReadOnlyList<RunRecord> Items, string? NextCursor) : IRunnerReply, IWithSessionId
{
    /// <summary>Pages are equal when their items are.</summary>
    public bool Equals(RunPage? other) =>
        other is not null && SessionId == other.SessionId && NextCursor == other.NextCursor && Items.SequenceEqual(other.Items);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(SessionId, Items.Count, NextCursor);
}

/// <summary>What a list query asks for (validated: see <see cref="HistoryQueries"/>).</summary>
/// <param name="Status">Only items with this status; all when null.</param>
/// <param name="After">Where the page starts (decoded cursor); the first page when null.</param>
/// <param name="Limit">Items per page, 1–<see cref="HistoryQueries.MaxLimit"/>.</param>
public sealed record ListQuery(RunStatus? Status, HistoryCursor? After, int Limit);
