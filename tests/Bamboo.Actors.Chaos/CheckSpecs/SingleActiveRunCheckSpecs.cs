using Bamboo.Actors.Chaos.Checks;

namespace Bamboo.Actors.Chaos.CheckSpecs;

public sealed class SingleActiveRunCheckSpecs
{
    private readonly Histories _history = new();

    private IReadOnlyList<Violation> Violations() => new SingleActiveRunCheck().Find(_history.Record()).ToArray();

    [Fact]
    public void Should_report_two_runs_each_seen_running_while_the_other_provably_was()
    {
        _history.Running("r1", 0, 1);
        _history.Running("r2", 2, 3, node: 2);
        _history.Running("r1", 4, 5);

        var violation = Assert.Single(Violations());
        Assert.Contains("r1", violation.Summary);
        Assert.Equal(3, violation.Evidence.Count);
    }

    [Fact]
    public void Should_not_report_an_interrupt_whose_requests_overlap_the_old_runs_evidence()
    {
        _history.Reserved("r1", 0, 1);
        _history.Event("r1", 2, 1.5, 2);
        _history.Reserved("r2", 1.8, 2.5, node: 2);
        // Read while the interrupt was in flight: it may have been answered just before it.
        _history.Running("r1", 1.9, 2.6);
        _history.Running("r2", 2.7, 3);

        Assert.Empty(Violations());
    }

    [Fact]
    public void Should_not_report_runs_that_follow_one_another()
    {
        _history.Reserved("r1", 0, 1);
        _history.Finalized("r1", "completed", 2, 3);
        _history.Reserved("r2", 2.5, 3.5);
        _history.Running("r2", 4, 5);

        Assert.Empty(Violations());
    }
}
