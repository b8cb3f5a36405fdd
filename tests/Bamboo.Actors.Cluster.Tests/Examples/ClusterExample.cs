using Akka.Hosting;
using Bamboo.Actors.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace MyService;

public static class ClusterHosting
{
    // appsettings.json (or the environment: Bamboo__Cluster__Seeds__0=akka.tcp://agents@10.0.0.5:4053, ...):
    // "Bamboo": { "Cluster": { "Hostname": "10.0.0.5", "Port": 4053,
    //                          "Seeds": [ "akka.tcp://agents@10.0.0.5:4053", "akka.tcp://agents@10.0.0.6:4053" ] } }
    public static IServiceCollection AddClusteredAgentRuns(this IServiceCollection services, IConfiguration configuration)
    {
        var cluster = configuration.GetSection(BambooClusterOptions.SectionName).Get<BambooClusterOptions>() ?? new();
        services.AddAkka("agents", (akka, sp) => akka
            .WithBambooCluster(cluster)                       // remoting, seeds, roles, split brain resolver; no-op without seeds
            .WithBambooRunners(configuration, options => options.Sharded = cluster.IsEnabled));
        services.AddBambooRunnerClient();                     // the same IRunnerClient as in local mode
        return services;
    }
}
