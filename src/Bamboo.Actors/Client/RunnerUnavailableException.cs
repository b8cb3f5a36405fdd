namespace Bamboo.Actors.Client;

/// <summary>
/// The session could not record a change durably (its journal is unavailable), or did not answer in time. Nothing
/// changed; the call may be retried.
/// </summary>
public sealed class RunnerUnavailableException(string sessionId, string reason)
    : Exception($"Session '{sessionId}' is unavailable: {reason}")
{
    /// <summary>The session.</summary>
    public string SessionId { get; } = sessionId;

    /// <summary>Why.</summary>
    public string Reason { get; } = reason;
}
