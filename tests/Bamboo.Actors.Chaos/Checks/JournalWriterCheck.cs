using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Checks;

/// <summary>
/// One writer at a time per persistence id: read in sequence order, no writer's rows were written while another
/// writer's rows of the same persistence id were still being written (A, B, A with B's rows written between A's).
/// Akka.Persistence.Sql's <c>writer_uuid</c> is the id of the writing process's journal (a new one per process start),
/// not of the session's incarnation, so a session that moved away from a process and back to it shows A, B, A
/// legitimately — one after the other in time — and the product runs the SQL journal without Akka's replay filter for
/// that reason. What may never happen is two writers at once: a later segment (in sequence order) whose first row was
/// written before an earlier segment's last row.
/// </summary>
public sealed class JournalWriterCheck : IChaosCheck
{
    public string Name => "one-journal-writer";

    public IEnumerable<Violation> Find(ChaosRecord record)
    {
        foreach (var id in record.Journal.GroupBy(row => row.PersistenceId))
        {
            var segments = Segments(id.OrderBy(row => row.SequenceNumber));
            if (FirstResumed(segments) is not { } resumed) continue;
            var names = WriterNames(segments);
            var interleaved = segments.GroupBy(segment => segment.Writer).Where(writer => writer.Count() > 1).Select(writer => names[writer.Key]);
            var details = segments.Select(segment =>
                $"  seq {segment.From}-{segment.To} by writer {names[segment.Writer]} ({Short(segment.Writer)}), written " +
                $"{RunClock.Format(record.Clock.Of(segment.FirstWritten))}..{RunClock.Format(record.Clock.Of(segment.LastWritten))}").ToArray();
            yield return new Violation(Name,
                $"{id.Key}: writers interleave ({string.Join(", ", segments.Select(segment => names[segment.Writer]))}): writer " +
                $"{string.Join(", ", interleaved)} wrote while another writer was writing (first at seq {resumed.From}, " +
                $"{RunClock.Format(record.Clock.Of(resumed.FirstWritten))}): two incarnations at once",
                [], details);
        }
    }

    /// <summary>Persistence ids written by more than one writer (interleaved or not).</summary>
    public static int SeveralWriters(IEnumerable<JournalRow> journal) =>
        journal.GroupBy(row => row.PersistenceId).Count(id => id.Select(row => row.WriterUuid).Distinct().Count() > 1);

    /// <summary>Runs of consecutive rows (in sequence order) by one writer.</summary>
    public static IReadOnlyList<WriterSegment> Segments(IEnumerable<JournalRow> rowsInSequenceOrder)
    {
        var segments = new List<WriterSegment>();
        foreach (var row in rowsInSequenceOrder)
        {
            if (segments.Count > 0 && segments[^1].Writer == row.WriterUuid)
            {
                var last = segments[^1];
                segments[^1] = last with
                {
                    To = row.SequenceNumber,
                    FirstWritten = row.Created < last.FirstWritten ? row.Created : last.FirstWritten,
                    LastWritten = row.Created > last.LastWritten ? row.Created : last.LastWritten,
                };
            }
            else
            {
                segments.Add(new WriterSegment(row.WriterUuid, row.SequenceNumber, row.SequenceNumber, row.Created, row.Created));
            }
        }
        return segments;
    }

    /// <summary>The first segment that began while an earlier segment's writer was still writing (two writers at once).</summary>
    private static WriterSegment? FirstResumed(IReadOnlyList<WriterSegment> segments)
    {
        var latestEarlierWrite = DateTimeOffset.MinValue;
        for (var i = 0; i < segments.Count; i++)
        {
            if (i > 0 && segments[i].FirstWritten < latestEarlierWrite) return segments[i];
            if (segments[i].LastWritten > latestEarlierWrite) latestEarlierWrite = segments[i].LastWritten;
        }
        return null;
    }

    private static string Short(string writer) => writer.Length > 8 ? writer[..8] : writer;

    private static Dictionary<string, string> WriterNames(IEnumerable<WriterSegment> segments)
    {
        var names = new Dictionary<string, string>();
        foreach (var segment in segments)
            names.TryAdd(segment.Writer, ((char)('A' + Math.Min(names.Count, 25))).ToString());
        return names;
    }
}
