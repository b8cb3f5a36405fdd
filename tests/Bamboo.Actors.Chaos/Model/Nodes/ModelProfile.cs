using System.Globalization;
using Akka.Configuration;
using Bamboo.Actors.Chaos.Model.Faults;

namespace Bamboo.Actors.Chaos.Model.Nodes;

/// <summary>
/// How every node of a model run is configured: short timings so that faults heal within a run's budget (node loss
/// acted on in seconds, short shard leases, short idle timeout, deadline grace and shutdown grace), the chaos journal and
/// lease in place of the library's, and the node's log in a file.
/// </summary>
public sealed record ModelProfile
{
    /// <summary>Idle sessions leave memory after this long (passivation happens all the time).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan DeadlineGrace { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The client's ask timeout: what a command waits at most for its answer.</summary>
    public TimeSpan AskTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan StableAfter { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan HeartbeatPause { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The shard lease's heartbeat-timeout (its interval is a fifth, its operation timeout two fifths).</summary>
    public TimeSpan LeaseTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan RebalanceInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>More HOCON in front of everything (a spec's own settings).</summary>
    public string ExtraHocon { get; init; } = "";

    /// <summary>The HOCON in front of the library's for one node incarnation.</summary>
    public Config Hocon(string nodeKey)
    {
        string Ms(TimeSpan span) => ((long)span.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
        var journal = typeof(ChaosSqlJournal).AssemblyQualifiedNameWithoutVersion();
        var lease = typeof(ChaosLease).AssemblyQualifiedNameWithoutVersion();
        var logger = typeof(NodeLogger).AssemblyQualifiedNameWithoutVersion();
        var profile = ConfigurationFactory.ParseString($$"""
            {{NodeContext.KeyPath}} = "{{nodeKey}}"
            akka {
              loglevel = INFO
              stdout-loglevel = OFF
              loggers = ["{{logger}}"]
              logger-startup-timeout = 30s
              log-dead-letters = off
              log-dead-letters-during-shutdown = off
              remote.dot-netty.tcp.applied-adapters = [trttl]
              cluster {
                log-info = off
                seed-node-timeout = 2s
                sharding.rebalance-interval = {{Ms(RebalanceInterval)}}
              }
              # A crash is abrupt: terminating the system runs no shutdown phase (a graceful leave runs them through the host).
              coordinated-shutdown.run-by-actor-system-terminate = off
              coordinated-shutdown.phases.service-requests-done.timeout = {{Ms(ShutdownGrace + TimeSpan.FromSeconds(5))}}
              persistence.journal.sql {
                class = "{{journal}}"
                chaos-scope = sessions
              }
              persistence.journal.sql-sharding {
                class = "{{journal}}"
                chaos-scope = sharding
              }
            }
            bamboo.coordination.lease {
              lease-class = "{{lease}}"
              heartbeat-timeout = {{Ms(LeaseTimeout)}}
              heartbeat-interval = {{Ms(LeaseTimeout / 5)}}
              lease-operation-timeout = {{Ms(LeaseTimeout * 2 / 5)}}
            }
            """);
        return ExtraHocon.Length == 0 ? profile : ConfigurationFactory.ParseString(ExtraHocon).WithFallback(profile);
    }
}

internal static class TypeNames
{
    /// <summary>"Namespace.Type, Assembly": what Akka's configuration takes as a class.</summary>
    public static string AssemblyQualifiedNameWithoutVersion(this Type type) => $"{type.FullName}, {type.Assembly.GetName().Name}";
}
