using System.Text;
using Akka.Configuration;
using Bamboo.Actors.Hosting;
using Bamboo.Actors.TestSupport;

namespace Bamboo.Actors.Cluster.Tests.Infrastructure;

/// <summary>How the nodes of a test cluster are configured.</summary>
public sealed record ClusterProfile
{
    /// <summary>Nothing is crashed: Akka's failure detector and the production Split Brain Resolver timing, so a slow
    /// moment on a busy machine heals instead of downing a node.</summary>
    public static ClusterProfile Stable { get; } = new();

    /// <summary>
    /// Nodes may be crashed (cut off from the others by the throttler transport adapter's blackhole), and node loss is
    /// acted on quickly: a 3 s heartbeat pause and a 2 s stable-after. Measured: unreachable 5-6 s after the crash,
    /// downed after about 9 s, sessions served again after 11-12 s.
    /// </summary>
    public static ClusterProfile Crashable { get; } = new()
    {
        FailureInjection = true,
        StableAfter = TimeSpan.FromSeconds(2),
        HeartbeatPause = TimeSpan.FromSeconds(3),
    };

    /// <summary>Adds the throttler transport adapter, which can blackhole the traffic between two nodes.</summary>
    public bool FailureInjection { get; init; }

    /// <summary>The Split Brain Resolver's stable-after; the library default (20 s) when null.</summary>
    public TimeSpan? StableAfter { get; init; }

    /// <summary>The cluster failure detector's acceptable heartbeat pause; Akka's default (3 s) when null.</summary>
    public TimeSpan? HeartbeatPause { get; init; }

    /// <summary>Runner options on top of <c>Sharded = true</c>.</summary>
    public Action<BambooRunnerOptions>? Runners { get; init; }

    /// <summary>HOCON in front of the profile's own (e.g. shorter lease timings).</summary>
    public string? ExtraHocon { get; init; }

    /// <summary>The HOCON every node of this profile starts with.</summary>
    public Config Hocon()
    {
        var hocon = new StringBuilder("""
            akka.loglevel = WARNING
            akka.log-dead-letters = off
            akka.log-dead-letters-during-shutdown = off
            akka.test.single-expect-default = 10s
            akka.cluster.log-info = off

            """);
        if (FailureInjection) hocon.AppendLine("akka.remote.dot-netty.tcp.applied-adapters = [trttl]");
        // Every Bamboo.Actors message that crosses nodes must go through BambooSerializer: one that reaches Akka's
        // catch-all JSON serializer fails to send. akka.actor.serialize-messages, which would also serialize local
        // messages, cannot be used with a cluster, whatever the library's own serializer: Akka.Cluster's local events
        // (CurrentClusterState, MemberUp, ... as the singleton manager receives them) are bound to no serializer of
        // their own, so they take the JSON fallback, which loses Member.UpNumber on Akka 1.5.73; nodes then disagree
        // on the oldest member and the shard coordinator singleton never starts ("Trying to register to coordinator
        // ... but no acknowledgement"). Checked again with the Protocol Buffers serializer: same result.
        return ConfigurationFactory.ParseString(ExtraHocon ?? "")
            .WithFallback(ConfigurationFactory.ParseString(hocon.ToString()))
            .WithFallback(FallbackGuardSerializer.Config);
    }
}
