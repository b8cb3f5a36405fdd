using Bamboo.Actors.Chaos.Checks;
using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.CheckSpecs;

public sealed class ServerErrorCheckSpecs
{
    private readonly Histories _history = new();

    // Node 2 killed at 10 s, healthy again at 15 s: the window lasts until 35 s (heal margin 20 s).
    private readonly FaultRecord[] _faults = [new(2, FaultKind.Kill, TimeSpan.FromSeconds(10)) { RestartedAt = TimeSpan.FromSeconds(11), HealthyAt = TimeSpan.FromSeconds(15) }];

    private IReadOnlyList<Violation> Violations() => new ServerErrorCheck().Find(_history.Record(_faults)).ToArray();

    [Fact]
    public void Should_accept_503_and_unanswered_requests_that_overlap_a_fault_window()
    {
        _history.Answer(ChaosRequest.ReadSnapshot(Histories.Session, "read"), 503, 1, 11);
        _history.Answer(ChaosRequest.ReadSnapshot(Histories.Session, "read"), 0, 34, 40);

        Assert.Empty(Violations());
    }

    [Fact]
    public void Should_report_503_outside_every_fault_window_and_any_other_5xx()
    {
        _history.Answer(ChaosRequest.ReadSnapshot(Histories.Session, "read"), 503, 36, 46);
        _history.Answer(ChaosRequest.ReadSnapshot(Histories.Session, "read"), 500, 12, 13);

        Assert.Equal(2, Violations().Count);
    }
}
