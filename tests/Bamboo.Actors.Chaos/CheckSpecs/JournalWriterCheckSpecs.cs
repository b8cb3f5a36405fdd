using Bamboo.Actors.Chaos.Checks;
using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.CheckSpecs;

public sealed class JournalWriterCheckSpecs
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Rows in sequence order: (writer, second it was written at).</summary>
    private static IReadOnlyList<Violation> Violations(params (string Writer, int At)[] rows)
    {
        var journal = rows.Select((row, i) => new JournalRow(i + 1, "bamboo-session-s", i + 1, row.Writer, T0.AddSeconds(row.At))).ToArray();
        return new JournalWriterCheck().Find(new Histories().Record(journal: journal)).ToArray();
    }

    [Fact]
    public void Should_accept_writers_that_follow_one_another() =>
        Assert.Empty(Violations(("a", 1), ("a", 2), ("b", 3), ("b", 4), ("c", 5)));

    [Fact]
    public void Should_accept_a_session_that_moved_back_to_a_process_it_lived_on_one_writer_after_the_other() =>
        Assert.Empty(Violations(("a", 1), ("a", 2), ("b", 3), ("a", 4), ("c", 5)));

    [Fact]
    public void Should_report_a_writer_that_writes_while_another_one_is_writing()
    {
        // a wrote row 4 after b's row 3, but a's row 4 was written before b's row 3: two writers at once.
        var violation = Assert.Single(Violations(("a", 1), ("a", 2), ("b", 5), ("a", 3), ("c", 6)));
        Assert.Contains("(A, B, A, C)", violation.Summary);
        Assert.Contains("seq 4", violation.Summary);
    }
}
