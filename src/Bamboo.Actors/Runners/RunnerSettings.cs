namespace Bamboo.Actors.Runners;

/// <summary>
/// Per-session runner limits. Defaults come from <c>hocon/bamboo.conf</c> (<c>bamboo.runners</c>); see
/// <see cref="Configuration.BambooConfig"/> for reading them from an ActorSystem.
/// </summary>
public sealed record RunnerSettings
{
    internal RunnerSettings()
    {
    }

    /// <summary>The defaults of <c>hocon/bamboo.conf</c>.</summary>
    public static RunnerSettings Default { get; } = Configuration.BambooConfig.FromConfig(null);

    /// <summary>How long a session with no active or queued run and no subscriber stays in memory.</summary>
    public TimeSpan IdleTimeout { get; init; }

    /// <summary>Maximum queued runs under <c>Enqueue</c>; one more is rejected with <c>queue_full</c>.</summary>
    public int MaxQueueLength { get; init; }

    /// <summary>Events retained per session for cursor replay.</summary>
    public int EventRetention { get; init; }

    /// <summary>Critical events replayed to a subscriber without a cursor.</summary>
    public int ReplayCriticalEvents { get; init; }

    /// <summary>Deadline of a run whose reservation names none: no run may stay running forever.</summary>
    public TimeSpan DefaultDeadline { get; init; }

    /// <summary>After a deadline passes, how long the executor has to finalize before the run ends as
    /// <c>Error("deadline exceeded")</c>.</summary>
    public TimeSpan DeadlineGrace { get; init; }

    /// <summary>On shutdown, how long active runs get to finalize after cancellation is requested.</summary>
    public TimeSpan ShutdownGrace { get; init; }

    /// <summary>Sessions are event-sourced (<see cref="DurableSessionRunner"/>): lifecycle facts are persisted before they
    /// are acknowledged and survive restarts. Off for a plain ActorSystem; hosting turns it on with SQLite.</summary>
    public bool Durable { get; init; }

    /// <summary>Journal plugin of durable sessions; the system's default journal when empty.</summary>
    public string JournalPluginId { get; init; } = "";

    /// <summary>Snapshot store plugin of durable sessions; the system's default snapshot store when empty.</summary>
    public string SnapshotPluginId { get; init; } = "";

    /// <summary>
    /// A session publishes the facts of its decisions on the EventStream (<see cref="SessionFactRecorded"/>) — a durable
    /// one once they are recorded — for a read model of runs and sessions kept in memory (a SQL read model reads them from
    /// the journal instead).
    /// </summary>
    public bool PublishFacts { get; init; }

    /// <summary>A durable session records executors' progress events in batches of at most this many.</summary>
    public int EventBatchSize { get; init; }

    /// <summary>A durable session records executors' progress events at most this long after they were published (the
    /// events a crash can lose: published, delivered live, not yet recorded). Tool events are recorded at once.</summary>
    public TimeSpan EventBatchInterval { get; init; }

    /// <summary>How long a start's idempotency key is remembered.</summary>
    public TimeSpan IdempotencyWindow { get; init; }

    /// <summary>A durable session saves a snapshot of its state every this many persisted facts.</summary>
    public int SnapshotEvery { get; init; }

    /// <summary>
    /// Whether runners are entities of the shard region (<see cref="Sharding.BambooSharding"/> sets it; not a HOCON
    /// setting). A runner that leaves with commands still waiting hands them to the region, which follows the session
    /// to its next incarnation wherever that is (a shard being handed off drops what is sent to it); a local runner hands
    /// them to its parent, the supervisor, which buffers them for the next incarnation.
    /// </summary>
    public bool Sharded { get; init; }

    /// <summary>
    /// The configuration path of the lease each shard holds while it runs (sharding's <c>use-lease</c>; set by sharding
    /// hosting, not a HOCON setting), or null. A durable runner checks its shard's lease before every write and leaves,
    /// writing nothing, once the lease is lost: another node may already run the session.
    /// </summary>
    public string? ShardLease { get; init; }

    /// <summary>
    /// In-memory runners use <see cref="Runners.SessionMailbox"/>, a queue that costs a few dozen bytes while the session is
    /// idle instead of Akka's default of about 1 KB. Set by <see cref="Configuration.BambooConfig.RunnerSettings"/> when the
    /// system's configuration registers the mailbox (the library's defaults do); not a HOCON setting.
    /// </summary>
    public bool SessionMailbox { get; init; }

    /// <summary>Throws when a value is out of range.</summary>
    public RunnerSettings Validate()
    {
        if (IdleTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(IdleTimeout), IdleTimeout, "must be positive");
        if (MaxQueueLength < 0) throw new ArgumentOutOfRangeException(nameof(MaxQueueLength), MaxQueueLength, "must not be negative");
        if (EventRetention < 1) throw new ArgumentOutOfRangeException(nameof(EventRetention), EventRetention, "must be at least 1");
        if (ReplayCriticalEvents < 0) throw new ArgumentOutOfRangeException(nameof(ReplayCriticalEvents), ReplayCriticalEvents, "must not be negative");
        if (DefaultDeadline <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(DefaultDeadline), DefaultDeadline, "must be positive");
        if (EventBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(EventBatchSize), EventBatchSize, "must be at least 1");
        if (EventBatchInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(EventBatchInterval), EventBatchInterval, "must be positive");
        if (IdempotencyWindow <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(IdempotencyWindow), IdempotencyWindow, "must be positive");
        if (SnapshotEvery < 1) throw new ArgumentOutOfRangeException(nameof(SnapshotEvery), SnapshotEvery, "must be at least 1");
        if (ShutdownGrace < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ShutdownGrace), ShutdownGrace, "must not be negative");
        if (DeadlineGrace < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(DeadlineGrace), DeadlineGrace, "must not be negative");
        return this;
    }
}
