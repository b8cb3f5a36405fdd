using System.Diagnostics.Metrics;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;

namespace Bamboo.Actors.Diagnostics;

/// <summary>
/// The <c>Bamboo.Actors</c> meter. Instruments are named <c>bamboo.*</c> (Prometheus shows <c>bamboo_*</c>). Collect them
/// with OpenTelemetry (<c>.AddMeter(BambooMetrics.MeterName)</c>) or a <see cref="MeterListener"/>.
/// </summary>
public static class BambooMetrics
{
    /// <summary>Name of the meter.</summary>
    public const string MeterName = "Bamboo.Actors";

    private static readonly Meter Meter = new(MeterName, typeof(BambooMetrics).Assembly.GetName().Version?.ToString());

    /// <summary><c>bamboo.runs.started</c>: runs that started.</summary>
    public static readonly Counter<long> RunsStarted =
        Meter.CreateCounter<long>("bamboo.runs.started", "{run}", "Runs that started");

    /// <summary><c>bamboo.runs.finished</c>: runs that ended, tagged <c>status</c> (<c>completed</c>, <c>cancelled</c>, <c>error</c>).
    /// Queued runs withdrawn before they started count too.</summary>
    public static readonly Counter<long> RunsFinished =
        Meter.CreateCounter<long>("bamboo.runs.finished", "{run}", "Runs that ended, by status");

    /// <summary><c>bamboo.runs.active</c>: runs currently running.</summary>
    public static readonly UpDownCounter<long> RunsActive =
        Meter.CreateUpDownCounter<long>("bamboo.runs.active", "{run}", "Runs currently running");

    /// <summary><c>bamboo.reserve.conflicts</c>: reservations that met an active run, tagged <c>policy</c>
    /// (<c>reject</c>, <c>interrupt</c>, <c>enqueue</c>) and <c>outcome</c> (<c>already_running</c>, <c>interrupted</c>,
    /// <c>queued</c>, <c>queue_full</c>).</summary>
    public static readonly Counter<long> ReserveConflicts =
        Meter.CreateCounter<long>("bamboo.reserve.conflicts", "{reservation}", "Reservations that met an active run");

    /// <summary><c>bamboo.events.published</c>: events published, tagged <c>type</c> (the wire name).</summary>
    public static readonly Counter<long> EventsPublished =
        Meter.CreateCounter<long>("bamboo.events.published", "{event}", "Events published");

    /// <summary><c>bamboo.sessions.live</c>: session runners in memory on this node.</summary>
    public static readonly UpDownCounter<long> SessionsLive =
        Meter.CreateUpDownCounter<long>("bamboo.sessions.live", "{session}", "Session runners in memory");

    /// <summary>
    /// Journal writes refused, and recoveries failed, because another incarnation of the session wrote its journal too
    /// (should stay 0: the shard lease lets one writer in at a time).
    /// </summary>
    public static readonly Counter<long> JournalWriterConflicts =
        Meter.CreateCounter<long>("bamboo.journal.writer_conflicts", "{conflict}", "Journal writes or recoveries that met another writer of the same session");

    internal static void EventPublished(AgentEvent evt)
    {
        if (EventsPublished.Enabled) EventsPublished.Add(1, new KeyValuePair<string, object?>("type", evt.WireName()));
    }

    internal static void RunFinished(RunStatus status) =>
        RunsFinished.Add(1, new KeyValuePair<string, object?>("status", status.ToWire()));

    internal static void ReserveConflict(ConflictPolicy policy, string outcome) =>
        ReserveConflicts.Add(1,
            new KeyValuePair<string, object?>("policy", policy.ToString().ToLowerInvariant()),
            new KeyValuePair<string, object?>("outcome", outcome));
}
