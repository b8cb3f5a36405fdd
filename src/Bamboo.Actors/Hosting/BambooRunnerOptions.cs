using System.Text;
using Akka.Configuration;

namespace Bamboo.Actors.Hosting;

/// <summary>
/// Code-first options for <see cref="BambooHostingExtensions.WithBambooRunners(Akka.Hosting.AkkaConfigurationBuilder, BambooRunnerOptions)"/>.
/// Every value is optional: unset values keep the defaults of <c>hocon/bamboo.conf</c> (or the application's own
/// HOCON). Bindable from <c>IConfiguration</c> (section <c>"Bamboo"</c>; TimeSpans as <c>"00:02:00"</c>).
/// </summary>
public sealed class BambooRunnerOptions
{
    /// <summary>Configuration section the options bind from.</summary>
    public const string SectionName = "Bamboo";

    /// <summary>Name of the supervisor actor (<c>/user/{name}</c>). Default <c>runners</c>.</summary>
    public string SupervisorName { get; set; } = "runners";

    /// <summary>
    /// Cluster mode: session runners are entities of an Akka.Cluster.Sharding shard region (type
    /// <see cref="Sharding.BambooSharding.TypeName"/>) spread over the cluster, and the <c>RunnerSupervisor</c> forwards
    /// to it. The ActorSystem must be a cluster member: use <c>WithBambooCluster(...)</c> or Akka.Cluster.Hosting's
    /// <c>WithRemoting</c> + <c>WithClustering</c>. Default false (local mode: runners are the supervisor's children).
    /// </summary>
    public bool Sharded { get; set; }

    /// <summary>
    /// Cluster mode only: host session runners only on members with this role. Members without it still serve every
    /// call, through a shard region proxy. Default: none (every member hosts runners).
    /// </summary>
    public string? ShardRole { get; set; }

    /// <summary>How long an idle session (no run, nothing queued, no subscriber) stays in memory.</summary>
    public TimeSpan? IdleTimeout { get; set; }

    /// <summary>Maximum queued runs per session under <c>Enqueue</c>.</summary>
    public int? MaxQueueLength { get; set; }

    /// <summary>Events retained per session for cursor replay.</summary>
    public int? EventRetention { get; set; }

    /// <summary>Critical events replayed to a subscriber without a cursor.</summary>
    public int? ReplayCriticalEvents { get; set; }

    /// <summary>Deadline of a run that names none.</summary>
    public TimeSpan? DefaultDeadline { get; set; }

    /// <summary>Time an executor has to finalize after its deadline passed.</summary>
    public TimeSpan? DeadlineGrace { get; set; }

    /// <summary>On shutdown, how long active runs get to finalize after cancellation is requested.</summary>
    public TimeSpan? ShutdownGrace { get; set; }

    /// <summary>How long the client waits for the runners' answer.</summary>
    public TimeSpan? AskTimeout { get; set; }

    /// <summary>Events buffered per client subscription.</summary>
    public int? SubscriptionBuffer { get; set; }

    /// <summary>Durability of sessions: SQLite by default (section <c>Bamboo:Persistence</c>).</summary>
    public BambooPersistenceOptions Persistence { get; set; } = new();

    /// <summary>The read model of sessions and runs (section <c>Bamboo:History</c>): on the journal's database with SQL
    /// persistence, in memory otherwise.</summary>
    public BambooHistoryOptions History { get; set; } = new();

    /// <summary>
    /// Allows <see cref="Sharded"/> runners without durable sessions (<see cref="BambooPersistenceMode.None"/>): volatile
    /// sessions. Such a cluster cannot keep the product's promises across a seam — a run on a lost node, or on a shard
    /// that moves (rebalance, graceful leave), ends as an error and its session comes back empty — so it is refused at
    /// start-up unless this says it is meant. Default false.
    /// </summary>
    public bool VolatileSessions { get; set; }


    /// <summary>The HOCON these options set (only the values that were set).</summary>
    public Config ToHocon()
    {
        var hocon = new StringBuilder();
        hocon.AppendSetting("bamboo.runners.idle-timeout", IdleTimeout);
        hocon.AppendSetting("bamboo.runners.max-queue-length", MaxQueueLength);
        hocon.AppendSetting("bamboo.runners.event-retention", EventRetention);
        hocon.AppendSetting("bamboo.runners.replay-critical-events", ReplayCriticalEvents);
        hocon.AppendSetting("bamboo.runners.default-deadline", DefaultDeadline);
        hocon.AppendSetting("bamboo.runners.deadline-grace", DeadlineGrace);
        hocon.AppendSetting("bamboo.runners.shutdown-grace", ShutdownGrace);
        hocon.AppendSetting("bamboo.client.ask-timeout", AskTimeout);
        hocon.AppendSetting("bamboo.client.subscription-buffer", SubscriptionBuffer);
        return hocon.Length == 0 ? Config.Empty : ConfigurationFactory.ParseString(hocon.ToString());
    }
}
