using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Checks;

/// <summary>Every check a chaos run is judged by, in the order violations are reported.</summary>
public static class ChaosChecks
{
    public static IReadOnlyList<IChaosCheck> All { get; } =
    [
        new SingleActiveRunCheck(),
        new EndedRunAcceptsNothingCheck(),
        new AcknowledgedOutcomeCheck(),
        new SettledStateCheck(),
        new SequenceCheck(),
        new AvailabilityCheck(),
        new ServerErrorCheck(),
        new JournalWriterCheck(),
    ];

    public static IReadOnlyList<Violation> Judge(ChaosRecord record) => All.SelectMany(check => check.Find(record)).ToArray();
}
