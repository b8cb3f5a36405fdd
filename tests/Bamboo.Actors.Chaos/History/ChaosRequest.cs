using System.Text.Json;

namespace Bamboo.Actors.Chaos.History;

/// <summary>A request as the workload means it: what it asks, about which session and run, and why (its purpose).</summary>
/// <param name="Kind">What the request asks.</param>
/// <param name="SessionId">The session (any valid id: slashes, spaces, emoji).</param>
/// <param name="RunId">The run the request names (path, or a cancel's body); null when it names none.</param>
/// <param name="Purpose">Why the workload sent it (<c>current</c>, <c>stale</c>, <c>repeat</c>, <c>late</c>, <c>final</c>, ...).</param>
/// <param name="Method">HTTP method.</param>
/// <param name="Path">Path, the session id percent-encoded as one segment.</param>
/// <param name="Body">JSON body, null for none.</param>
public sealed record ChaosRequest(RequestKind Kind, string SessionId, string? RunId, string Purpose, HttpMethod Method, string Path, string? Body)
{
    public static ChaosRequest Reserve(string sessionId, string onConflict, int deadlineMs, string purpose = "worker") =>
        Post(RequestKind.Reserve, sessionId, null, purpose, "/reservations", new { onConflict, deadlineMs });

    public static ChaosRequest StartRun(string sessionId, object body, string purpose = "managed") =>
        Post(RequestKind.StartRun, sessionId, null, purpose, "/runs", body);

    public static ChaosRequest PublishEvent(string sessionId, string runId, object evt, string purpose) =>
        Post(RequestKind.PublishEvent, sessionId, runId, purpose, $"/runs/{Uri.EscapeDataString(runId)}/events", evt);

    public static ChaosRequest Finalize(string sessionId, string runId, string outcome, string purpose) =>
        Post(RequestKind.Finalize, sessionId, runId, purpose, $"/runs/{Uri.EscapeDataString(runId)}/finalize",
            outcome == "error" ? new { outcome, error = "worker failed" } : new { outcome });

    /// <summary>Cancels the session's active run (<paramref name="runId"/> null) or the given run.</summary>
    public static ChaosRequest Cancel(string sessionId, string? runId, string purpose) =>
        Post(RequestKind.Cancel, sessionId, runId, purpose, "/cancel", runId is null ? new { reason = "chaos" } : new { runId, reason = "chaos" });

    public static ChaosRequest ReadSnapshot(string sessionId, string purpose) =>
        new(RequestKind.ReadSnapshot, sessionId, null, purpose, HttpMethod.Get, SessionPath(sessionId), null);

    /// <summary>The session's path: its id is one percent-encoded segment (<c>a/b</c> is <c>a%2Fb</c>).</summary>
    public static string SessionPath(string sessionId, string rest = "") => $"/sessions/{Uri.EscapeDataString(sessionId)}{rest}";

    private static ChaosRequest Post(RequestKind kind, string sessionId, string? runId, string purpose, string rest, object body) =>
        new(kind, sessionId, runId, purpose, HttpMethod.Post, SessionPath(sessionId, rest), JsonSerializer.Serialize(body));
}
