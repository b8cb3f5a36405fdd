using System.Diagnostics;
using System.Globalization;

namespace Bamboo.Actors.Chaos.History;

/// <summary>
/// One timeline per run: every request, fault and server log line is stamped with the time since the run started, so a
/// violation's evidence and the servers' logs read side by side.
/// </summary>
public sealed class RunClock
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();

    /// <summary>Wall-clock time at <see cref="Now"/> zero (to read the servers' own timestamps against).</summary>
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>Time since the run started (monotonic).</summary>
    public TimeSpan Now => _watch.Elapsed;

    /// <summary>A wall-clock time (a server's timestamp: same host, same clock) on this timeline.</summary>
    public TimeSpan Of(DateTimeOffset wallClock) => wallClock - StartedAt;

    /// <summary>A time on the timeline, e.g. <c>12.345s</c>.</summary>
    public static string Format(TimeSpan time) => time.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture) + "s";

    /// <summary>A duration in seconds with one decimal, e.g. <c>9.5 s</c>.</summary>
    public static string Seconds(TimeSpan duration) => duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";
}
