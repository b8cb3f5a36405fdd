using Bamboo.Actors.Diagnostics;
using Bamboo.Actors.Server.Overview;

namespace Bamboo.Actors.Console.Tests;

/// <summary>The meter is one per process: these specs run alone, while no server in this process runs anything.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeterCollection
{
    public const string Name = "meter";
}

[Collection(MeterCollection.Name)]
public sealed class RunActivitySpecs
{
    private static readonly KeyValuePair<string, object?> Completed = new("status", "completed");
    private static readonly KeyValuePair<string, object?> Cancelled = new("status", "cancelled");
    private static readonly KeyValuePair<string, object?> Error = new("status", "error");

    [Fact]
    public void Should_count_runs_per_minute_for_the_last_hour_and_forget_older_minutes()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 30, 10, 0, 30, TimeSpan.Zero));
        using var activity = new RunActivity(clock);

        BambooMetrics.RunsStarted.Add(2);
        BambooMetrics.RunsFinished.Add(1, Completed);
        BambooMetrics.RunsFinished.Add(1, Error);
        clock.Now = clock.Now.AddMinutes(1);
        BambooMetrics.RunsStarted.Add(1);
        BambooMetrics.RunsFinished.Add(1, Cancelled);

        var read = activity.Read();
        Assert.Equal(RunActivity.Minutes, read.Minutes.Count);
        Assert.Equal(new MinuteCounts(new DateTimeOffset(2026, 11, 30, 10, 1, 0, TimeSpan.Zero), 1, 0, 1, 0), read.Minutes[^1]);
        Assert.Equal(new MinuteCounts(new DateTimeOffset(2026, 11, 30, 10, 0, 0, TimeSpan.Zero), 2, 1, 0, 1), read.Minutes[^2]);
        Assert.All(read.Minutes.SkipLast(2), minute => Assert.Equal(0, minute.Started + minute.Completed + minute.Cancelled + minute.Failed));

        // An hour later the first minute has left the window, the second is the oldest; its bucket is reused for now.
        clock.Now = clock.Now.AddMinutes(59);
        BambooMetrics.RunsStarted.Add(5);
        read = activity.Read();
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 10, 1, 0, TimeSpan.Zero), read.Minutes[0].Minute);
        Assert.Equal(1, read.Minutes[0].Started);
        Assert.Equal(5, read.Minutes[^1].Started);
        Assert.Equal(6, read.Minutes.Sum(minute => minute.Started));
    }

    [Fact]
    public void Should_follow_the_active_runs_gauge_and_never_report_below_zero()
    {
        using var activity = new RunActivity(TimeProvider.System);

        BambooMetrics.RunsActive.Add(3);
        BambooMetrics.RunsActive.Add(-1);
        Assert.Equal(2, activity.Read().RunsActive);

        // Runs that were active before the listener started end: no negative count.
        BambooMetrics.RunsActive.Add(-5);
        Assert.Equal(0, activity.Read().RunsActive);
        BambooMetrics.RunsActive.Add(3);
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
