namespace Bamboo.Actors.Chaos.Checks;

/// <summary>How long a session went unanswered after a fault: from the kill to its first successful answer.</summary>
public sealed record SessionOutage(string SessionId, int Node, TimeSpan Length);
