using Akka.Actor;
using Akka.Hosting;
using Bamboo.Actors.Client;
using Bamboo.Actors.Configuration;
using Bamboo.Actors.Runners;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Bamboo.Actors.Hosting;

/// <summary>Akka.Hosting integration: <c>akka.WithBambooRunners()</c> plus <c>services.AddBambooRunnerClient()</c>.</summary>
public static class BambooHostingExtensions
{
    /// <summary>
    /// Adds the Bamboo runners to the ActorSystem: the HOCON defaults and <paramref name="configure"/>'s options, and the
    /// <see cref="RunnerSupervisor"/> (registered for <c>IRequiredActor&lt;RunnerSupervisor&gt;</c>).
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

    /// <summary>Adds the Bamboo runners configured by <paramref name="options"/>.</summary>
    public static AkkaConfigurationBuilder WithBambooRunners(this AkkaConfigurationBuilder builder, BambooRunnerOptions options) =>
        builder
            .WithBambooConfiguration(options)
            .WithBambooRunnerSupervisor(options);

    /// <summary>The HOCON piece: <paramref name="options"/> (persistence included) in front, the embedded <c>hocon/</c>
    /// defaults behind everything.</summary>
    public static AkkaConfigurationBuilder WithBambooConfiguration(this AkkaConfigurationBuilder builder, BambooRunnerOptions options) =>
        builder
            .AddHocon(options.ToHocon().WithFallback(BambooPersistence.ToHocon(options.Persistence)), HoconAddMode.Prepend)
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
