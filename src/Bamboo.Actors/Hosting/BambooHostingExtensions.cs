using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.Singleton;
using Akka.DistributedData;
using Akka.Hosting;
using Bamboo.Actors.Client;
using Bamboo.Actors.Configuration;
using Bamboo.Actors.Coordination;
using Bamboo.Actors.Routing;
using Bamboo.Actors.Runners;
using Bamboo.Actors.Sharding;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Bamboo.Actors.Hosting;

/// <summary>Akka.Hosting integration: <c>akka.WithBambooRunners()</c> plus <c>services.AddBambooRunnerClient()</c>.</summary>
public static class BambooHostingExtensions
{
    /// <summary>
    /// Adds the Bamboo runners to the ActorSystem: the HOCON defaults and <paramref name="configure"/>'s options, and the
    /// <see cref="RunnerSupervisor"/> (registered for <c>IRequiredActor&lt;RunnerSupervisor&gt;</c>). With
    /// <c>o.Sharded = true</c> the runners are cluster-sharded entities instead of the supervisor's children.
    /// </summary>
    public static AkkaConfigurationBuilder WithBambooRunners(this AkkaConfigurationBuilder builder, Action<BambooRunnerOptions>? configure = null)
    {
        var options = new BambooRunnerOptions();
        configure?.Invoke(options);
        return builder.WithBambooRunners(options);
    }

    /// <summary>As <see cref="WithBambooRunners(AkkaConfigurationBuilder, Action{BambooRunnerOptions})"/>, with options bound
    /// from <paramref name="configuration"/>'s <c>"Bamboo"</c> section first.</summary>
    public static AkkaConfigurationBuilder WithBambooRunners(this AkkaConfigurationBuilder builder, IConfiguration configuration,
        Action<BambooRunnerOptions>? configure = null)
    {
        var options = new BambooRunnerOptions();
        configuration.GetSection(BambooRunnerOptions.SectionName).Bind(options);
        configure?.Invoke(options);
        return builder.WithBambooRunners(options);
    }

    /// <summary>
    /// Adds the Bamboo runners configured by <paramref name="options"/>: local mode, or with
    /// <see cref="BambooRunnerOptions.Sharded"/> the cluster shard region (<see cref="WithBambooShardRegion"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">Sharded runners without durable sessions, and
    /// <see cref="BambooRunnerOptions.VolatileSessions"/> not set.</exception>
    public static AkkaConfigurationBuilder WithBambooRunners(this AkkaConfigurationBuilder builder, BambooRunnerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options is { Sharded: true, VolatileSessions: false, Persistence.Mode: BambooPersistenceMode.None })
        {
            throw new InvalidOperationException(
                "Sharded runners without durable sessions (Bamboo:Persistence:Mode=None) lose their runs when a node is lost " +
                "or a shard moves. Use durable sessions (Sqlite or PostgreSql), or set Bamboo:VolatileSessions=true " +
                "(BambooRunnerOptions.VolatileSessions) to run volatile sessions knowingly.");
        }
        builder.WithBambooConfiguration(options);
        var runners = options.Sharded
            ? builder.WithBambooShardRegion(options)
            : builder.WithBambooRunnerSupervisor(options);
        return runners.WithBambooHistoryProjection(options);
    }

    /// <summary>The configuration piece: <paramref name="options"/> in front, their persistence
    /// (<see cref="BambooPersistence.WithBambooPersistence"/>), and the embedded <c>hocon/</c> defaults behind everything.</summary>
    public static AkkaConfigurationBuilder WithBambooConfiguration(this AkkaConfigurationBuilder builder, BambooRunnerOptions options) =>
        builder
            .AddHocon(options.ToHocon(), HoconAddMode.Prepend)
            .WithBambooPersistence(options.Persistence)
            .WithBambooHistoryConfiguration(options)
            .AddHocon(BambooConfig.Default, HoconAddMode.Append);

    /// <summary>The local-mode supervisor piece: session runners are the supervisor's children.</summary>
    public static AkkaConfigurationBuilder WithBambooRunnerSupervisor(this AkkaConfigurationBuilder builder, BambooRunnerOptions options) =>
        builder.WithActors((system, registry) =>
        {
            var settings = BambooConfig.RunnerSettings(system);
            var supervisor = system.ActorOf(RunnerSupervisor.Props(settings), options.SupervisorName);
            registry.Register<RunnerSupervisor>(supervisor);
            RunnerSupervisor.DrainOnShutdown(system, supervisor, settings.ShutdownGrace);
        });

    /// <summary>
    /// The sharded-mode piece: a shard region of <see cref="SessionRunner"/> entities (type
    /// <see cref="BambooSharding.TypeName"/>, routed by the same <see cref="SessionMessageExtractor"/> as local mode,
    /// settings of <see cref="BambooSharding.ShardOptions"/>), registered for <c>IRequiredActor&lt;SessionRunner&gt;</c>,
    /// and in front of it the <see cref="RunnerSupervisor"/> that validates commands and forwards them (registered for
    /// <c>IRequiredActor&lt;RunnerSupervisor&gt;</c>, so <see cref="IRunnerClient"/> works unchanged). Adds the cluster
    /// defaults (<c>hocon/cluster.conf</c>). The ActorSystem must be a cluster member (see
    /// <see cref="BambooClusterHostingExtensions.WithBambooCluster(AkkaConfigurationBuilder, BambooClusterOptions)"/>).
    /// </summary>
    public static AkkaConfigurationBuilder WithBambooShardRegion(this AkkaConfigurationBuilder builder, BambooRunnerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var lease = BambooSharding.Lease(options.Persistence);
        lease?.Apply(builder);
        // One shard coordinator per store: it runs only where its lease is held.
        if (lease is not null) builder.AddHocon(BambooSharding.CoordinatorSingleton(lease), HoconAddMode.Prepend);
        // In front of Akka's sharding defaults, which hosting adds after the library's (hocon/cluster.conf says why).
        builder.AddHocon(BambooSharding.HandOffTimeout(BambooConfig.Cluster), HoconAddMode.Prepend);
        return builder
            .AddHocon(BambooConfig.Cluster, HoconAddMode.Append)
            // Behind the application's own choice (BambooClusterOptions.SplitBrainStrategy is prepended): a node
            // downs others only while it holds the cluster's lease on the shared store, and a minority without it
            // downs itself; without a SQL store, the majority side decides.
            .AddHocon(BambooSharding.SplitBrainDefaults(lease), HoconAddMode.Append)
            // Akka.Hosting's WithShardRegion, with the allocation strategy wrapped (RebalanceAwareAllocationStrategy says why).
            .AddHocon(ClusterSharding.DefaultConfig().WithFallback(DistributedData.DefaultConfig()).WithFallback(ClusterSingleton.DefaultConfig()),
                HoconAddMode.Append)
            .WithActors(async (system, registry) =>
            {
                var region = await BambooSharding.StartRegionAsync(system, BambooSharding.ShardOptions(options.ShardRole, options.Persistence),
                    BambooSharding.EntityProps(BambooConfig.RunnerSettings(system), lease)).ConfigureAwait(false);
                registry.Register<SessionRunner>(region);
                var supervisor = system.ActorOf(RunnerSupervisor.PropsForShardRegion(region), options.SupervisorName);
                registry.Register<RunnerSupervisor>(supervisor);
                // Before the shards are handed off (cluster-sharding-shutdown-region comes later): drain this node's sessions.
                RunnerSupervisor.DrainOnShutdown(system, supervisor, BambooConfig.RunnerSettings(system).ShutdownGrace);
                // A hand-off meant for this node's previous incarnation is answered by its region now.
                system.ActorOf(StaleHandOffResponder.Props(region), StaleHandOffResponder.Name);
                // A node alone in a cluster of its own while another cluster renews leases on the same store leaves.
                if (lease is not null && system.Settings.Config.GetBoolean("bamboo.cluster.second-cluster-guard", true))
                    system.ActorOf(SecondClusterGuard.Props(system, lease.ConfigPath), SecondClusterGuard.Name);
            });
    }

    /// <summary>
    /// Registers <see cref="IRunnerClient"/> (a singleton over the registered <see cref="RunnerSupervisor"/>). Akka.Hosting
    /// builds the ActorSystem after the container, so the client is registered on the service collection, next to
    /// <c>AddAkka</c>.
    /// </summary>
    public static IServiceCollection AddBambooRunnerClient(this IServiceCollection services)
    {
        services.TryAddSingleton<IRunnerClient>(sp => new RunnerClient(
            sp.GetRequiredService<ActorSystem>(),
            sp.GetRequiredService<IRequiredActor<RunnerSupervisor>>().ActorRef));
        return services;
    }
}
