using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Bamboo.Actors.Configuration;
using Bamboo.Actors.Routing;
using Bamboo.Actors.Runners;

namespace Bamboo.Actors.Benchmarks.Targets;

/// <summary>ActorSystems configured for measurement: warnings only (the runner logs every run start and finish at
/// info level), the library's HOCON defaults, optional idle timeout override.</summary>
public static class BenchSystems
{
    private const string Quiet = """
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        akka.log-dead-letters = off
        akka.log-dead-letters-during-shutdown = off
        """;

    /// <summary>A local ActorSystem with a <see cref="RunnerSupervisor"/> named <c>runners</c>.</summary>
    public static (ActorSystem System, IActorRef Supervisor) CreateLocal(string name, TimeSpan? idleTimeout = null)
    {
        var system = ActorSystem.Create(name, Config(idleTimeout));
        var supervisor = system.ActorOf(RunnerSupervisor.Props(BambooConfig.RunnerSettings(system)), "runners");
        return (system, supervisor);
    }

    /// <summary>A plain ActorSystem (no runners) with the quiet logging settings.</summary>
    public static ActorSystem CreatePlain(string name) => ActorSystem.Create(name, ConfigurationFactory.ParseString(Quiet));

    /// <summary>
    /// A single-node cluster (loopback, ephemeral port, joined to itself) with the session runners as entities of a shard
    /// region routed by <see cref="SessionMessageExtractor"/>, and a <see cref="RunnerSupervisor"/> forwarding to it.
    /// </summary>
    public static async Task<(ActorSystem System, IActorRef Supervisor)> CreateShardedAsync(string name)
    {
        var config = ConfigurationFactory.ParseString($$"""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp.hostname = 127.0.0.1
            akka.remote.dot-netty.tcp.port = {{FreePort()}}
            akka.cluster.min-nr-of-members = 1
            akka.cluster.sharding.state-store-mode = ddata
            akka.cluster.sharding.remember-entities = off
            """).WithFallback(Config(null));
        var system = ActorSystem.Create(name, config);
        var cluster = Cluster.Get(system);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        await cluster.JoinAsync(cluster.SelfAddress).ConfigureAwait(false);
        await up.Task.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);

        var settings = BambooConfig.RunnerSettings(system);
        var region = await ClusterSharding.Get(system).StartAsync(
            "bamboo-sessions",
            entityId => SessionRunner.PropsForEntity(entityId, settings),
            ClusterShardingSettings.Create(system),
            new SessionMessageExtractor()).ConfigureAwait(false);
        return (system, system.ActorOf(RunnerSupervisor.PropsForShardRegion(region), "runners"));
    }

    /// <summary>Stops a system and waits until every actor has stopped (a million of them can outlast the shutdown
    /// phases' own timeouts).</summary>
    public static async Task TerminateAsync(ActorSystem system)
    {
        await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ActorSystemTerminateReason.Instance).ConfigureAwait(false);
        await system.WhenTerminated.WaitAsync(TimeSpan.FromMinutes(5)).ConfigureAwait(false);
    }

    /// <summary>A TCP port free on the loopback interface right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Config Config(TimeSpan? idleTimeout)
    {
        var config = ConfigurationFactory.ParseString(Quiet);
        if (idleTimeout is { } idle)
            config = ConfigurationFactory.ParseString($"bamboo.runners.idle-timeout = {(long)idle.TotalMilliseconds}ms").WithFallback(config);
        return config.WithFallback(BambooConfig.Default);
    }
}
