using System.Text;

namespace Bamboo.Actors.Benchmarks.Harness;

/// <summary>A markdown table printed to standard output (and collected for the end-of-run summary).</summary>
public sealed class MarkdownTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    /// <summary>Adds a row; cells beyond the header count are dropped, missing ones left blank.</summary>
    public MarkdownTable Row(params object?[] cells)
    {
        _rows.Add(headers.Select((_, i) => i < cells.Length ? Format(cells[i]) : "").ToArray());
        return this;
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length))).ToArray();
        var text = new StringBuilder();
        Line(text, headers, widths);
        text.Append('|');
        foreach (var width in widths) text.Append(new string('-', width + 2)).Append('|');
        text.AppendLine();
        foreach (var row in _rows) Line(text, row, widths);
        return text.ToString();
    }

    /// <summary>Thousands separators for counts, three significant figures for rates.</summary>
    public static string Format(object? value) => value switch
    {
        null => "",
        int i => i.ToString("N0"),
        long l => l.ToString("N0"),
        double d when double.IsNaN(d) => "n/a",
        double d when Math.Abs(d) >= 1000 => d.ToString("N0"),
        double d when Math.Abs(d) >= 10 => d.ToString("0.0"),
        double d => d.ToString("0.00"),
        _ => value.ToString() ?? "",
    };

    private static void Line(StringBuilder text, string[] cells, int[] widths)
    {
        text.Append('|');
        for (var i = 0; i < cells.Length; i++) text.Append(' ').Append(cells[i].PadRight(widths[i])).Append(" |");
        text.AppendLine();
    }
}
