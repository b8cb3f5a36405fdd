namespace Bamboo.Actors.Benchmarks.Harness;

/// <summary>Sizes and durations of every scenario. <see cref="Quick"/> shrinks them so all scenarios finish in well
/// under a minute (the mode CI runs, so the harness keeps compiling and working); the full sizes are the published ones.</summary>
public sealed record BenchOptions(bool Quick)
{
    /// <summary>Implementation keys to run (<c>a</c>…<c>e</c>); all when empty. From <c>--targets=a,e</c>.</summary>
    public IReadOnlySet<string> Targets { get; init; } = new HashSet<string>();

    /// <summary>Offered load of the latency scenario as a fraction of the measured maximum (default 0.5, from
    /// <c>--load=0.25</c>).</summary>
    public double LatencyLoad { get; init; } = 0.5;

    /// <summary>Offered load of the latency scenario in cycles/s, instead of a fraction of the measured maximum (from
    /// <c>--rate=10000</c>): the same load for every run, for comparing runtime settings on a machine whose share of the
    /// cores changes from run to run.</summary>
    public double? LatencyRate { get; init; }

    /// <summary>Whether implementation <paramref name="key"/> is selected.</summary>
    public bool Runs(string key) => Targets.Count == 0 || Targets.Contains(key);

    /// <summary>Sessions the lifecycle drivers cycle over.</summary>
    public int Sessions => Quick ? 2_000 : 10_000;

    /// <summary>Concurrent closed-loop drivers (default 64, from <c>--drivers=128</c>).</summary>
    public int Drivers { get; init; } = 64;

    /// <summary>Closed-loop warm-up (also creates every session) before a measurement.</summary>
    public TimeSpan Warmup => Quick ? TimeSpan.FromMilliseconds(300) : TimeSpan.FromSeconds(3);

    /// <summary>Closed-loop measurement window.</summary>
    public TimeSpan Measure => Quick ? TimeSpan.FromMilliseconds(600) : TimeSpan.FromSeconds(8);

    /// <summary>Open-loop latency run at half the measured maximum.</summary>
    public TimeSpan LatencyRun => Quick ? TimeSpan.FromMilliseconds(700) : TimeSpan.FromSeconds(10);

    /// <summary>Session counts of the memory scenario.</summary>
    public int[] MemorySessionCounts => Quick ? [5_000] : [100_000, 1_000_000];

    /// <summary>Sessions touched before each memory baseline (JIT, caches, first-use allocations).</summary>
    public int MemoryWarmSessions => Quick ? 200 : 1_000;

    /// <summary>Subscriber counts of the fan-out scenario.</summary>
    public int[] FanoutSubscribers => [1, 10, 100];

    /// <summary>Deliveries aimed at per fan-out row (events published = this / subscribers).</summary>
    public long FanoutDeliveries => Quick ? 200_000 : 6_000_000;

    /// <summary>Events per SSE run published through a lease (also the untimed warm-up pass).</summary>
    public long SseEvents => Quick ? 20_000 : 1_000_000;

    /// <summary>Events per SSE run published by the HTTP worker (one POST each).</summary>
    public long SseWorkerEvents => Quick ? 2_000 : 100_000;

    /// <summary>Runs per SSE row; the median is reported.</summary>
    public int SseRepetitions => Quick ? 1 : 3;

    /// <summary>Sessions the durable drivers cycle over (each is recovered from the journal on first use).</summary>
    public int DurableSessions => Quick ? 64 : 1_000;

    /// <summary>Warm-up of a durable closed loop. Longer than <see cref="Warmup"/>: the journal's write path (Akka.Persistence,
    /// Akka.Streams, linq2db, the database driver) keeps the JIT busy for 10–15 s of load on 2 cores before it runs
    /// optimized code, and the cycles/s measured before that are up to 40% lower.</summary>
    public TimeSpan DurableWarmup => Quick ? TimeSpan.FromMilliseconds(300) : TimeSpan.FromSeconds(15);

    /// <summary>Sessions created, then recovered by a new system, in the durable scenario.</summary>
    public int RecoverySessions => Quick ? 100 : 10_000;

    /// <summary>The HTTP scenario's cold period: new-session load from the moment the server is ready.</summary>
    public TimeSpan HttpCold => Quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(8);

    /// <summary>Windows the cold period is cut into (its warm-up curve).</summary>
    public TimeSpan HttpColdWindow => Quick ? TimeSpan.FromMilliseconds(500) : TimeSpan.FromSeconds(2);

    /// <summary>Untimed load before each warm HTTP row.</summary>
    public TimeSpan HttpWarmup => Quick ? TimeSpan.FromMilliseconds(300) : TimeSpan.FromSeconds(5);

    /// <summary>Length of one warm HTTP window.</summary>
    public TimeSpan HttpWindow => Quick ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(2);

    /// <summary>Warm HTTP windows per row; the median is reported.</summary>
    public int HttpWindows => 5;

    /// <summary>Default timeout of every ask the harness makes.</summary>
    public TimeSpan AskTimeout => TimeSpan.FromSeconds(30);

    /// <summary>Orleans' response timeout. Orleans on a small machine loses some of its first requests while it activates
    /// the grains (see docs/benchmarks.md); a quick run gives up on them after 5 s rather than waiting the full 30 s.</summary>
    public TimeSpan OrleansResponseTimeout => Quick ? TimeSpan.FromSeconds(5) : AskTimeout;
}
