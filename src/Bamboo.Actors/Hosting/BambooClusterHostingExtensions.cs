using Akka.Cluster.Hosting;
using Akka.Event;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Bamboo.Actors.Configuration;
using Microsoft.Extensions.Configuration;

namespace Bamboo.Actors.Hosting;

/// <summary>
/// Cluster membership the Akka.Hosting way: <c>akka.WithBambooCluster(options).WithBambooRunners(o => o.Sharded = true)</c>.
/// A convenience over Akka.Remote.Hosting's <c>WithRemoting</c> and Akka.Cluster.Hosting's <c>WithClustering</c>;
/// applications that configure those themselves only need <c>WithBambooRunners(o => o.Sharded = true)</c>.
/// </summary>
public static class BambooClusterHostingExtensions
{
    /// <summary>
    /// Makes this ActorSystem a cluster member as <paramref name="options"/> say: remoting on
    /// <see cref="BambooClusterOptions.Hostname"/>:<see cref="BambooClusterOptions.Port"/>, the seeds and roles, and the
    /// Split Brain Resolver (keep-majority unless told otherwise; <c>hocon/cluster.conf</c>). Does nothing when the
    /// options are not <see cref="BambooClusterOptions.IsEnabled"/>, so a service can call it unconditionally and run
    /// locally until seeds are configured.
    /// </summary>
    /// <exception cref="ArgumentException">The options are not usable (see <see cref="BambooClusterOptions.Validate"/>).</exception>
    public static AkkaConfigurationBuilder WithBambooCluster(this AkkaConfigurationBuilder builder, BambooClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.IsEnabled) return builder;
        options.Validate(null);
        var seeds = options.SeedAddresses();
        return builder
            .WithRemoting(new RemoteOptions
            {
                HostName = options.Hostname,
                Port = options.Port,
                PublicHostName = string.IsNullOrWhiteSpace(options.PublicHostname) ? null : options.PublicHostname,
            })
            .WithClustering(new ClusterOptions
            {
                SeedNodes = seeds.Length > 0 ? seeds : null,
                Roles = options.Roles is { Length: > 0 } roles ? roles : null,
                MinimumNumberOfMembers = options.MinimumMembers,
            })
            .AddHocon(options.ToHocon(), HoconAddMode.Prepend)
            // A fallback: WithClustering has already appended Akka's own sharding defaults, which win over it for the
            // keys they hold (the hand-off timeout alone is put in front, by WithBambooShardRegion). Putting all of them
            // over Akka's instead made the multi-process chaos test fail in two of three runs (nodes downed about 30 s
            // after a restart), not yet understood.
            .AddHocon(BambooConfig.Cluster, HoconAddMode.Append)
            // The system name is known only now; a seed naming another system would never be joined: fail the start.
            .WithActors((system, _) =>
            {
                options.Validate(system.Name);
                if (options.IsOnlySeed(system.Name))
                {
                    system.Log.Warning(
                        "Bamboo:Cluster:Seeds lists only this node ({0}). If other nodes join it, list every node as a seed: a sole " +
                        "seed that restarts while the others run forms a second cluster instead of rejoining theirs", seeds[0]);
                }
            });
    }

    /// <summary>
    /// As <see cref="WithBambooCluster(AkkaConfigurationBuilder, BambooClusterOptions)"/>, with the options bound from
    /// <paramref name="configuration"/>'s <c>"Bamboo:Cluster"</c> section (<c>Seeds</c>, <c>Hostname</c>, <c>Port</c>,
    /// <c>Roles</c>, ...) and then <paramref name="configure"/>.
    /// </summary>
    public static AkkaConfigurationBuilder WithBambooCluster(this AkkaConfigurationBuilder builder, IConfiguration configuration,
        Action<BambooClusterOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new BambooClusterOptions();
        configuration.GetSection(BambooClusterOptions.SectionName).Bind(options);
        configure?.Invoke(options);
        return builder.WithBambooCluster(options);
    }
}
