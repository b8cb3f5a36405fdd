using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Bamboo.Actors.History;

/// <summary>
/// The position after the last item of a page: the sort key of that item (a time and an id), opaque to callers. A
/// cursor names what it lists (sessions, or one session's runs), so a cursor of one list is refused by another.
/// </summary>
/// <param name="At">The item's time (sessions: latest activity; runs: creation).</param>
/// <param name="Id">The item's id (sessions: session id; runs: run id), which breaks ties.</param>
public sealed record HistoryCursor(DateTimeOffset At, string Id)
{
    private const string SessionsPrefix = "s1.";
    private const string RunsPrefix = "r1.";

    /// <summary>The cursor of a sessions page.</summary>
    public string ForSessions() => SessionsPrefix + Encode($"{At.UtcTicks.ToString(CultureInfo.InvariantCulture)}\n{Id}");

    /// <summary>The cursor of a page of <paramref name="sessionId"/>'s runs.</summary>
    public string ForRuns(string sessionId) =>
        RunsPrefix + Encode($"{At.UtcTicks.ToString(CultureInfo.InvariantCulture)}\n{Id}\n{sessionId}");

    /// <summary>Reads a sessions cursor; null when it is malformed or belongs to another list.</summary>
    public static HistoryCursor? ParseSessions(string cursor)
    {
        if (!cursor.StartsWith(SessionsPrefix, StringComparison.Ordinal) || Decode(cursor[SessionsPrefix.Length..]) is not { } text) return null;
        var parts = text.Split('\n');
        return parts.Length == 2 ? Of(parts[0], parts[1]) : null;
    }

    /// <summary>Reads a cursor of <paramref name="sessionId"/>'s runs; null when it is malformed or belongs to another list.</summary>
    public static HistoryCursor? ParseRuns(string cursor, string sessionId)
    {
        if (!cursor.StartsWith(RunsPrefix, StringComparison.Ordinal) || Decode(cursor[RunsPrefix.Length..]) is not { } text) return null;
        var parts = text.Split('\n', 3);
        return parts.Length == 3 && parts[2] == sessionId ? Of(parts[0], parts[1]) : null;
    }

    private static HistoryCursor? Of(string ticks, string id)
    {
        if (id.Length == 0 || !long.TryParse(ticks, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            || value < DateTimeOffset.MinValue.UtcTicks || value > DateTimeOffset.MaxValue.UtcTicks)
            return null;
        return new HistoryCursor(new DateTimeOffset(value, TimeSpan.Zero), id);
    }

    private static string Encode(string text) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));

    private static string? Decode(string encoded)
    {
        if (encoded.Length is 0 or > 2048) return null;
        try
        {
            var bytes = Base64Url.DecodeFromChars(encoded);
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (FormatException)
        {
            return null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
