using Bamboo.Actors.Chaos.Checks;
using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.CheckSpecs;

public sealed class SettledStateCheckSpecs
{
    private readonly Histories _history = new();

    private IReadOnlyList<Violation> Violations(params HistoryEntry[] reads) =>
        new SettledStateCheck().Find(_history.Record(finals: [new SessionFinalRead(Histories.Session, reads)])).ToArray();

    [Fact]
    public void Should_report_a_run_still_running_after_quiescence()
    {
        var reads = Enumerable.Range(1, 3).Select(node => _history.Running("r1", 50, 51, node)).ToArray();

        Assert.Contains("still running", Assert.Single(Violations(reads)).Summary);
    }

    [Fact]
    public void Should_report_nodes_that_disagree()
    {
        var violation = Assert.Single(Violations(
            _history.Ended("r1", "completed", 50, 51, node: 1),
            _history.Ended("r2", "completed", 50, 51, node: 2),
            _history.Ended("r1", "completed", 50, 51, node: 3)));

        Assert.Contains("disagree", violation.Summary);
    }

    [Fact]
    public void Should_accept_nodes_that_differ_only_in_subscribers()
    {
        Assert.Empty(Violations(
            _history.Snapshot(50, 51, 1, new { status = "completed", runId = "r1", queueLength = 0, subscriberCount = 0 }),
            _history.Snapshot(50, 51, 2, new { status = "completed", runId = "r1", queueLength = 0, subscriberCount = 2 })));
    }
}
