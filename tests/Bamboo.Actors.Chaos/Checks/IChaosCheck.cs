using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Checks;

/// <summary>
/// One promise, judged on a run's record. A check must be sound: it reports only what no legal behaviour could have
/// produced, given that a request took effect at some instant between its start and its end (and an unanswered one at
/// any time after its start, or never).
/// </summary>
public interface IChaosCheck
{
    /// <summary>Short name, printed with each violation.</summary>
    string Name { get; }

    IEnumerable<Violation> Find(ChaosRecord record);
}
