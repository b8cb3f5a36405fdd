using Bamboo.Actors.Chaos.Checks;

namespace Bamboo.Actors.Chaos.CheckSpecs;

public sealed class EndedRunAcceptsNothingCheckSpecs
{
    private readonly Histories _history = new();

    private IReadOnlyList<Violation> Violations() => new EndedRunAcceptsNothingCheck().Find(_history.Record()).ToArray();

    [Fact]
    public void Should_report_an_event_accepted_after_the_runs_finalize_was_acknowledged()
    {
        var finalize = _history.Finalized("r1", "completed", 0, 1);
        var late = _history.Event("r1", 9, 2, 3, node: 2);

        var violation = Assert.Single(Violations());
        Assert.Equal([finalize, late], violation.Evidence);
    }

    [Fact]
    public void Should_report_a_second_finalize_accepted_after_an_ending_was_read()
    {
        _history.Ended("r1", "error", 0, 1, error: "deadline exceeded");
        _history.Finalized("r1", "completed", 2, 3);

        Assert.Single(Violations());
    }

    [Fact]
    public void Should_not_report_an_event_whose_request_overlaps_the_finalize()
    {
        _history.Finalized("r1", "completed", 0, 2);
        _history.Event("r1", 9, 1, 3);

        Assert.Empty(Violations());
    }
}
