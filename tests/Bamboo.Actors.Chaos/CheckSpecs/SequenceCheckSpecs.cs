using Bamboo.Actors.Chaos.Checks;

namespace Bamboo.Actors.Chaos.CheckSpecs;

public sealed class SequenceCheckSpecs
{
    private readonly Histories _history = new();

    private IReadOnlyList<Violation> Violations() => new SequenceCheck().Find(_history.Record()).ToArray();

    [Fact]
    public void Should_report_a_sequence_seen_lower_through_another_node_later()
    {
        _history.Event("r1", 4098, 0, 1, node: 2);
        _history.Running("r1", 2, 3, node: 1, lastSequence: 3075);

        Assert.Contains("from 4098", Assert.Single(Violations()).Summary);
    }

    [Fact]
    public void Should_report_a_session_answered_unknown_after_it_had_events()
    {
        _history.Event("r1", 3, 0, 1);
        _history.Unknown(2, 3);

        Assert.Single(Violations());
    }

    [Fact]
    public void Should_not_report_decreasing_values_of_overlapping_requests()
    {
        _history.Running("r1", 0, 3, lastSequence: 10);
        _history.Event("r1", 11, 1, 2);
        _history.Running("r1", 2.5, 4, lastSequence: 11);

        Assert.Empty(Violations());
    }
}
