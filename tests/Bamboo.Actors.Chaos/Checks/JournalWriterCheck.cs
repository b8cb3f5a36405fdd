using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Checks;

/// <summary>
/// One writer at a time per persistence id: read in sequence order, a persistence id's rows never go back to a writer
/// after another one wrote (A, B, A). Akka.Persistence.Sql's <c>writer_uuid</c> is the id of the writing process's
/// journal (a new one per process start), and Akka's replay filter (<c>repair-by-discard-old</c>, the default) discards
/// rows of a writer it has seen replaced: A's later rows are silently dropped at the next recovery, whether A came back
/// because two incarnations ran at once (two clusters, a hand-off that did not wait) or because the session moved away
/// from a process and back to it. Several writers one after the other (A, B, C) are normal.
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
                $"{string.Join(", ", interleaved)} wrote again after a newer one had started (first at seq {resumed.From}, " +
                $"{RunClock.Format(record.Clock.Of(resumed.FirstWritten))}); a recovery that replays them discards them",
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

    /// <summary>The first segment by a writer that had already written before another one did.</summary>
    private static WriterSegment? FirstResumed(IEnumerable<WriterSegment> segments)
    {
        var seen = new HashSet<string>();
        return segments.FirstOrDefault(segment => !seen.Add(segment.Writer));
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
