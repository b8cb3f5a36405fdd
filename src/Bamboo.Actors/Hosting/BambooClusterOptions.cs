using System.Text;
using Akka.Actor;
using Akka.Configuration;

namespace Bamboo.Actors.Hosting;

/// <summary>
/// Cluster membership for <see cref="BambooClusterHostingExtensions.WithBambooCluster(Akka.Hosting.AkkaConfigurationBuilder, BambooClusterOptions)"/>:
/// where this node listens, which seed nodes it joins, its roles and how lost nodes are downed. Bindable from
/// <c>IConfiguration</c> (section <c>"Bamboo:Cluster"</c>), e.g. <c>Bamboo__Cluster__Seeds__0=akka.tcp://bamboo@10.0.0.5:4053</c>.
/// Unset values keep the HOCON defaults (<c>hocon/cluster.conf</c>, then Akka's).
/// </summary>
public sealed class BambooClusterOptions
{
    /// <summary>Configuration section the options bind from.</summary>
    public const string SectionName = "Bamboo:Cluster";

    /// <summary>The strategies <see cref="SplitBrainStrategy"/> accepts (those that need no further parameters).</summary>
    public static IReadOnlyList<string> SplitBrainStrategies { get; } = ["keep-majority", "lease-majority", "keep-oldest", "down-all"];

    /// <summary>
    /// Whether this node joins a cluster. Default (null): when <see cref="Seeds"/> is not empty. Set true with no seeds
    /// to start as a cluster member that joins later, in code (<c>Cluster.Get(system).Join(...)</c>) or by discovery.
    /// </summary>
    public bool? Enabled { get; set; }

    /// <summary>Address the remoting transport binds to. Default <c>localhost</c>.</summary>
    public string Hostname { get; set; } = "localhost";

    /// <summary>Address other nodes use to reach this one, when it differs from <see cref="Hostname"/> (containers, NAT).</summary>
    public string? PublicHostname { get; set; }

    /// <summary>Remoting port. Default 4053; 0 picks a free port (then this node cannot be anybody's seed).</summary>
    public int Port { get; set; } = 4053;

    /// <summary>
    /// Seed node addresses, <c>akka.tcp://{actor-system-name}@{host}:{port}</c>; the system name must be this
    /// ActorSystem's. List every node, in the same order on every node: only the first seed forms a new cluster, and a
    /// restarted first seed asks the others before it does, so it rejoins the cluster they run. Entries may also be
    /// comma-separated.
    /// </summary>
    public string[] Seeds { get; set; } = [];

    /// <summary>This node's cluster roles (see <see cref="BambooRunnerOptions.ShardRole"/>).</summary>
    public string[] Roles { get; set; } = [];

    /// <summary>Members needed before the cluster leader moves joining members up. Default 1.</summary>
    public int? MinimumMembers { get; set; }

    /// <summary>
    /// Split Brain Resolver strategy (<see cref="SplitBrainStrategies"/>). Default: <c>lease-majority</c> on the shards'
    /// lease store with durable SQL sessions (a side downs the others only while it holds the lease), else
    /// <c>keep-majority</c> (the side of a partition with the majority stays up and downs the rest).
    /// </summary>
    public string? SplitBrainStrategy { get; set; }

    /// <summary>How long reachability must stay unchanged before the Split Brain Resolver acts. Default 20 seconds.</summary>
    public TimeSpan? StableAfter { get; set; }

    /// <summary>How long the cluster failure detector tolerates missing heartbeats before it marks a member
    /// unreachable. Default 3 seconds (Akka's).</summary>
    public TimeSpan? AcceptableHeartbeatPause { get; set; }

    /// <summary>
    /// How long this node keeps trying to join its seeds before it leaves and its ActorSystem stops (the server then
    /// exits with code 1, so a supervisor restarts it). Default 60 seconds (<c>hocon/cluster.conf</c>).
    /// </summary>
    public TimeSpan? JoinTimeout { get; set; }

    /// <summary>Whether this node joins a cluster: <see cref="Enabled"/>, else whether there are <see cref="Seeds"/>.</summary>
    public bool IsEnabled => Enabled ?? SeedAddresses().Length > 0;

    /// <summary>The seeds, split at commas and trimmed, empty entries dropped.</summary>
    public string[] SeedAddresses() =>
        [.. (Seeds ?? []).SelectMany(seed => (seed ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];

    /// <summary>
    /// Throws when a value is unusable: a seed that is not an address or names another ActorSystem than
    /// <paramref name="actorSystemName"/> (such a node would never join), a port out of range, an unknown strategy.
    /// </summary>
    /// <exception cref="ArgumentException">A value is not usable.</exception>
    public BambooClusterOptions Validate(string? actorSystemName)
    {
        if (string.IsNullOrWhiteSpace(Hostname)) throw new ArgumentException("Bamboo:Cluster:Hostname must not be empty.", nameof(Hostname));
        if (Port is < 0 or > 65535) throw new ArgumentException($"Bamboo:Cluster:Port must be 0-65535 (got {Port}).", nameof(Port));
        foreach (var seed in SeedAddresses())
        {
            Address address;
            try
            {
                address = Address.Parse(seed);
            }
            catch (Exception exception) when (exception is UriFormatException or ArgumentException or FormatException)
            {
                throw new ArgumentException($"Bamboo:Cluster:Seeds: '{seed}' is not an address like akka.tcp://system@host:port.", nameof(Seeds), exception);
            }
            if (!address.Protocol.StartsWith("akka", StringComparison.Ordinal))
                throw new ArgumentException($"Bamboo:Cluster:Seeds: '{seed}' is not an Akka address (akka.tcp://system@host:port).", nameof(Seeds));
            if (string.IsNullOrEmpty(address.Host) || address.Port is null or <= 0)
                throw new ArgumentException($"Bamboo:Cluster:Seeds: '{seed}' needs a host and a port.", nameof(Seeds));
            if (actorSystemName is not null && address.System != actorSystemName)
                throw new ArgumentException(
                    $"Bamboo:Cluster:Seeds: '{seed}' names ActorSystem '{address.System}', but this one is '{actorSystemName}'; all members of a cluster share one name.",
                    nameof(Seeds));
        }
        if (SplitBrainStrategy is { } strategy && !SplitBrainStrategies.Contains(strategy))
            throw new ArgumentException($"Bamboo:Cluster:SplitBrainStrategy must be one of {string.Join(", ", SplitBrainStrategies)} (got '{strategy}').", nameof(SplitBrainStrategy));
        if (StableAfter <= TimeSpan.Zero) throw new ArgumentException("Bamboo:Cluster:StableAfter must be positive.", nameof(StableAfter));
        if (AcceptableHeartbeatPause <= TimeSpan.Zero) throw new ArgumentException("Bamboo:Cluster:AcceptableHeartbeatPause must be positive.", nameof(AcceptableHeartbeatPause));
        if (JoinTimeout <= TimeSpan.Zero) throw new ArgumentException("Bamboo:Cluster:JoinTimeout must be positive.", nameof(JoinTimeout));
        if (MinimumMembers < 1) throw new ArgumentException("Bamboo:Cluster:MinimumMembers must be at least 1.", nameof(MinimumMembers));
        return this;
    }

    /// <summary>
    /// Whether this node is its own and only seed. Fine for a cluster of one; with more nodes it is the recipe for two
    /// clusters, since a sole first seed forms a new cluster on every restart without asking anybody.
    /// </summary>
    public bool IsOnlySeed(string actorSystemName)
    {
        var seeds = SeedAddresses();
        if (seeds.Length != 1) return false;
        var self = new Address("akka.tcp", actorSystemName, PublicHostname is { Length: > 0 } publicHost ? publicHost : Hostname, Port);
        return Address.Parse(seeds[0]).Equals(self);
    }

    /// <summary>The HOCON these options set beyond remoting and membership (only the values that were set).</summary>
    public Config ToHocon()
    {
        var hocon = new StringBuilder();
        if (SplitBrainStrategy is { } strategy)
        {
            hocon.AppendLine("akka.cluster.downing-provider-class = \"Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster\"");
            hocon.Append("akka.cluster.split-brain-resolver.active-strategy = ").AppendLine(strategy);
        }
        hocon.AppendSetting("akka.cluster.split-brain-resolver.stable-after", StableAfter);
        hocon.AppendSetting("akka.cluster.failure-detector.acceptable-heartbeat-pause", AcceptableHeartbeatPause);
        hocon.AppendSetting("akka.cluster.shutdown-after-unsuccessful-join-seed-nodes", JoinTimeout);
        return hocon.Length == 0 ? Config.Empty : ConfigurationFactory.ParseString(hocon.ToString());
    }
}
