namespace Bamboo.Actors.Chaos.History;

/// <summary>
/// One node going down and coming back: when it was signalled (or exited by itself), when it was started again, when it
/// answered <c>/healthz</c>, and when it answered a session request again.
/// </summary>
public sealed class FaultRecord(int node, FaultKind kind, TimeSpan at)
{
    public int Node { get; } = node;

    public FaultKind Kind { get; } = kind;

    /// <summary>When the signal was sent, or when the unplanned exit was seen.</summary>
    public TimeSpan At { get; } = at;

    /// <summary>When the process had exited.</summary>
    public TimeSpan? ExitedAt { get; set; }

    /// <summary>Whether a SIGTERM was not enough (the process did not exit in time and was then killed).</summary>
    public bool NeededKill { get; set; }

    /// <summary>When the new process was started.</summary>
    public TimeSpan? RestartedAt { get; set; }

    /// <summary>When the new process first answered <c>/healthz</c>; null if it never did.</summary>
    public TimeSpan? HealthyAt { get; set; }

    /// <summary>When the new process answered <c>/readyz</c> (at once where the server has none); null if never.</summary>
    public TimeSpan? ReadyAt { get; set; }

    /// <summary>When the new process first answered a session request (not 503); null if it never did in time.</summary>
    public TimeSpan? ServingAt { get; set; }

    /// <summary>
    /// The fault window: from the signal until the restarted node answered <c>/healthz</c>, plus
    /// <paramref name="healMargin"/> for the cluster to settle; open until <paramref name="runEnd"/> if it never did.
    /// </summary>
    public (TimeSpan From, TimeSpan To) Window(TimeSpan healMargin, TimeSpan runEnd) =>
        (At, HealthyAt is { } healthy ? healthy + healMargin : runEnd);

    public string Describe() =>
        $"node{Node} {Kind} at {RunClock.Format(At)}" +
        (ExitedAt is { } exited ? $", exited {RunClock.Seconds(exited - At)} later{(NeededKill ? " (SIGTERM not enough: killed)" : "")}" : "") +
        (RestartedAt is { } restarted ? $", restarted at {RunClock.Format(restarted)}" : ", not restarted") +
        (HealthyAt is { } healthy && RestartedAt is { } r ? $", healthy after {RunClock.Seconds(healthy - r)}" : "") +
        (HealthyAt is not null && RestartedAt is { } q ? ReadyAt is { } ready ? $", ready after {RunClock.Seconds(ready - q)}" : ", never ready" : "") +
        (ServingAt is { } serving && RestartedAt is { } s ? $", serving after {RunClock.Seconds(serving - s)}" : ", never served");
}
