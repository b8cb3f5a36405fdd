namespace Bamboo.Actors.Benchmarks.Harness;

/// <summary>Writes scenario headings, tables and notes to standard output as markdown.</summary>
public static class Report
{
    /// <summary>Starts a scenario section.</summary>
    public static void Heading(string title, BenchOptions options)
    {
        Console.WriteLine();
        Console.WriteLine($"## {title}");
        Console.WriteLine();
        Console.WriteLine($"> {MachineInfo.Describe(options)}");
        Console.WriteLine();
    }

    /// <summary>Prints a table followed by a blank line.</summary>
    public static void Table(MarkdownTable table)
    {
        Console.Write(table.ToString());
        Console.WriteLine();
    }

    /// <summary>Prints a note line.</summary>
    public static void Note(string text) => Console.WriteLine($"- {text}");

    /// <summary>Failures so far; the process exits non-zero when there is any, after printing every table.</summary>
    public static List<string> Failures { get; } = [];

    /// <summary>Failures of the systems Bamboo.Actors is compared with (seed port, Orleans, raw Akka). Reported like any
    /// other; a quick run (a smoke test of the harness and of Bamboo.Actors) does not fail because of them.</summary>
    public static List<string> ComparisonFailures { get; } = [];

    /// <summary>An exception in one line: its type and the first line of its message.</summary>
    public static string Describe(Exception exception) => $"{exception.GetType().Name}: {exception.Message.Split('\n')[0]}";

    /// <summary>Records a failed measurement and prints it as a note.</summary>
    public static void Failure(string what, Exception exception, bool comparison = false)
    {
        Failure($"{what} FAILED: {Describe(exception)}", comparison);
    }

    /// <summary>
    /// Records operations of a closed loop that threw (see <see cref="Throughput.Errors"/>) as a failed measurement; the
    /// measurement itself still stands. Returns a note for the table, or null when nothing threw.
    /// </summary>
    public static string? Errors(string what, Throughput result, bool comparison = false)
    {
        if (result.ErrorSummary is not { } summary) return null;
        var text = $"{what}: {summary}";
        Failure(text, comparison);
        return text;
    }

    /// <summary>Records a failure described by <paramref name="text"/>.</summary>
    public static void Failure(string text, bool comparison)
    {
        (comparison ? ComparisonFailures : Failures).Add(text);
        Progress(text);
    }

    /// <summary>Whether a target key (a)–(e) is one of the compared systems rather than Bamboo.Actors itself.</summary>
    public static bool IsComparison(string key) => key is not ("a" or "b");

    /// <summary>Progress on standard error, so standard output stays a clean markdown document.</summary>
    public static void Progress(string text) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {text}");
}
