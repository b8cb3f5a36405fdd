namespace Bamboo.Actors.Hosting;

/// <summary>The read model of sessions and runs (configuration section <c>Bamboo:History</c>). Unset values keep the
/// defaults of <c>hocon/bamboo.conf</c> (<c>bamboo.history</c>).</summary>
public sealed class BambooHistoryOptions
{
    /// <summary>Whether the read model runs. Default true: on the journal's database for SQL persistence, in memory
    /// otherwise.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Runs kept per session (default 100).</summary>
    public int? RunsPerSession { get; set; }

    /// <summary>Ended runs, and sessions without activity, older than this are deleted (default 7 days).</summary>
    public TimeSpan? MaxAge { get; set; }

    /// <summary>How often retention runs (default 1 minute).</summary>
    public TimeSpan? PruneInterval { get; set; }

    /// <summary>How often the projection asks the journal for new facts (default 100 ms).</summary>
    public TimeSpan? PollInterval { get; set; }
}
