using Bamboo.Actors.Chaos.Checks;
using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Processes;

/// <summary>What a run observed, what it found, and the printed report.</summary>
/// <param name="LogFolder">The servers' logs (one file per node start), kept when there were violations.</param>
public sealed record ProcessesChaosResult(ChaosRecord Record, IReadOnlyList<Violation> Violations, ChaosFigures Figures, string Report, string LogFolder);
