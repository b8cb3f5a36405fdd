using Bamboo.Actors.Protocol;
using Bamboo.Actors.Routing;

namespace Bamboo.Actors.History;

/// <summary>The rules of list queries: limits, cursors, status filters. A malformed query is refused before anything is read.</summary>
public static class HistoryQueries
{
    /// <summary>Items per page when the caller names no limit.</summary>
    public const int DefaultLimit = 50;

    /// <summary>The largest page.</summary>
    public const int MaxLimit = 500;

    /// <summary>The statuses a list can be filtered by, by wire name.</summary>
    public static IReadOnlyDictionary<string, RunStatus> Statuses { get; } = Enum.GetValues<RunStatus>().ToDictionary(s => s.ToWire());

    /// <summary>A sessions query, or why it is malformed.</summary>
    public static (ListQuery? Query, string? Problem) Sessions(RunStatus? status, string? cursor, int limit)
    {
        if (LimitProblem(limit) is { } problem) return (null, problem);
        if (status is { } s && !Enum.IsDefined(s)) return (null, $"unknown status {s}");
        HistoryCursor? after = null;
        if (cursor is not null && (after = HistoryCursor.ParseSessions(cursor)) is null) return (null, InvalidCursor);
        return (new ListQuery(status, after, limit), null);
    }

    /// <summary>A query of <paramref name="sessionId"/>'s runs, or why it is malformed.</summary>
    public static (ListQuery? Query, string? Problem) Runs(string sessionId, RunStatus? status, string? cursor, int limit)
    {
        if (SessionIds.Validate(sessionId) is { } invalid) return (null, invalid);
        if (LimitProblem(limit) is { } problem) return (null, problem);
        if (status is { } s && !Enum.IsDefined(s)) return (null, $"unknown status {s}");
        HistoryCursor? after = null;
        if (cursor is not null && (after = HistoryCursor.ParseRuns(cursor, sessionId)) is null) return (null, InvalidCursor);
        return (new ListQuery(status, after, limit), null);
    }

    /// <summary>The reason given for a cursor that is malformed or belongs to another list.</summary>
    public const string InvalidCursor = "invalid cursor: not one this list gave out";

    private static string? LimitProblem(int limit) =>
        limit is < 1 or > MaxLimit ? $"limit must be between 1 and {MaxLimit}" : null;
}
