using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Checks;

/// <summary>
/// Evidence that run <paramref name="RunId"/> had ended with <paramref name="Status"/> by the end of
/// <paramref name="Entry"/>: a finalize answered 200 (the outcome acknowledged) or <c>already_finalized</c>, a snapshot
/// showing the run in a terminal status.
/// </summary>
/// <param name="Error">The run's error message, when the answer carried one.</param>
public sealed record RunEnding(string SessionId, string RunId, HistoryEntry Entry, string Status, string? Error)
{
    /// <summary>A finalize acknowledged by this very request (rather than an ending read later).</summary>
    public bool Acknowledged => Entry is { Kind: RequestKind.Finalize, Status: 200 };

    public string Describe() => Error is null ? Status : $"{Status} ({Error})";
}
