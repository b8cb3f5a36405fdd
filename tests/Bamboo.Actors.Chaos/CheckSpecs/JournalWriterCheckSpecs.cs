using Bamboo.Actors.Chaos.Checks;
using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.CheckSpecs;

public sealed class JournalWriterCheckSpecs
{
    private static IReadOnlyList<Violation> Violations(params string[] writers)
    {
        var rows = writers.Select((writer, i) => new JournalRow(i + 1, "bamboo-session-s", i + 1, writer, DateTimeOffset.UtcNow)).ToArray();
        return new JournalWriterCheck().Find(new Histories().Record(journal: rows)).ToArray();
    }

    [Fact]
    public void Should_accept_writers_that_follow_one_another()
    {
        Assert.Empty(Violations("a", "a", "b", "b", "c"));
    }

    [Fact]
    public void Should_report_a_writer_that_writes_again_after_a_newer_one()
    {
        var violation = Assert.Single(Violations("a", "a", "b", "a", "c"));
        Assert.Contains("(A, B, A, C)", violation.Summary);
        Assert.Contains("seq 4", violation.Summary);
    }
}
