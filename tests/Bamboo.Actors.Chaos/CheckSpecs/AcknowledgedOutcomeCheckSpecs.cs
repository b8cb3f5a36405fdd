using Bamboo.Actors.Chaos.Checks;

namespace Bamboo.Actors.Chaos.CheckSpecs;

public sealed class AcknowledgedOutcomeCheckSpecs
{
    private readonly Histories _history = new();

    private IReadOnlyList<Violation> Violations() => new AcknowledgedOutcomeCheck().Find(_history.Record()).ToArray();

    [Fact]
    public void Should_report_a_completed_finalize_later_read_as_running()
    {
        _history.Finalized("r1", "completed", 0, 1, node: 2);
        _history.Running("r1", 2, 3, node: 1);

        Assert.Contains("later seen active", Assert.Single(Violations()).Summary);
    }

    [Fact]
    public void Should_report_a_run_ended_twice_with_different_errors()
    {
        _history.Ended("r1", "error", 0, 1, error: "deadline exceeded");
        _history.Ended("r1", "error", 2, 3, error: "lost on restart");

        Assert.Contains("lost on restart", Assert.Single(Violations()).Summary);
    }

    [Fact]
    public void Should_not_report_reads_that_overlap_the_finalize_or_agree_with_it()
    {
        _history.Running("r1", 0, 2);
        _history.Finalized("r1", "error", 1, 3);
        _history.Running("r1", 2.5, 4);
        _history.Ended("r1", "error", 5, 6, error: "worker failed");

        Assert.Empty(Violations());
    }
}
