namespace Bamboo.Actors.Chaos.History;

/// <summary>A session read through every node after quiescence: one entry per node, in node order (the last attempt).</summary>
public sealed record SessionFinalRead(string SessionId, IReadOnlyList<HistoryEntry> Reads);
