using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Checks;

/// <summary>
/// A session's event sequence seen at some instant within <paramref name="Entry"/>'s interval: an accepted event's
/// sequence, a snapshot's <c>lastSequence</c>, or 0 for a session answered <c>404 unknown_session</c>.
/// </summary>
public sealed record SequenceObservation(string SessionId, long Value, HistoryEntry Entry);
