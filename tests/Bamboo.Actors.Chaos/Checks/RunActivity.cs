using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Checks;

/// <summary>
/// Evidence that run <paramref name="RunId"/> was the session's active (running) run at some instant within
/// <paramref name="Entry"/>'s interval: a reservation or start answered <c>running</c>, an <c>already_running</c> naming
/// it, an accepted event or finalize (active just before it ended), a cancel of the active run answered with it, a
/// snapshot showing it running.
/// </summary>
/// <param name="Accepted">The request was a write the run accepted (event 202, finalize 200).</param>
public sealed record RunActivity(string SessionId, string RunId, HistoryEntry Entry, bool Accepted);
