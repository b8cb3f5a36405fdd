namespace Bamboo.Actors.Chaos.Model.Faults;

/// <summary>A journal operation the chaos journal failed on purpose.</summary>
public sealed class ChaosJournalException(string message) : Exception(message);
