namespace Bamboo.Actors.Chaos.Processes;

/// <summary>The workload's bounds, which quiescence and the checks rely on.</summary>
public static class WorkloadPlan
{
    /// <summary>External workers reserve with a deadline of a few seconds, so abandoned runs end soon.</summary>
    public const int MinDeadlineMs = 2_000;

    public const int MaxDeadlineMs = 6_000;

    /// <summary>Longest <c>sleep</c> of a managed run.</summary>
    public const int MaxSleepMs = 4_000;

    /// <summary>The server's default time a run gets to finalize after its deadline (<c>bamboo.runners.deadline-grace</c>).</summary>
    public static readonly TimeSpan DeadlineGrace = TimeSpan.FromSeconds(5);

    /// <summary>Longest a run of this workload may legitimately stay running once started, were nothing to go wrong.</summary>
    public static readonly TimeSpan LongestRun = TimeSpan.FromMilliseconds(Math.Max(MaxDeadlineMs, MaxSleepMs)) + DeadlineGrace;
}
