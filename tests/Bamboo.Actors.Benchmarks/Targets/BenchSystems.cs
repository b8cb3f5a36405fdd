using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Akka.Hosting;
using Bamboo.Actors.Benchmarks.Harness;
using Bamboo.Actors.Configuration;
using Bamboo.Actors.Hosting;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Bamboo.Actors.Benchmarks.Targets;

/// <summary>ActorSystems configured for measurement: warnings only (the runner logs every run start and finish at
/// info level), the library's HOCON defaults, optional idle timeout override.</summary>
public static class BenchSystems
{
    private const string Quiet = $"""
        {CountingMailbox.Hocon}
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

    /// <summary>
    /// A local ActorSystem with a <see cref="RunnerSupervisor"/> named <c>runners</c> whose sessions persist as
    /// <paramref name="persistence"/> says, configured the way hosting configures it (<see cref="BambooPersistence.ToHocon"/>:
    /// plugins, durable flag; for SQLite also the data folder and write-ahead logging, <see cref="BambooPersistence.PrepareSqlite"/>).
    /// </summary>
    public static (ActorSystem System, IActorRef Supervisor, RunnerSettings Settings) CreateDurable(string name, BambooPersistenceOptions persistence,
        string extraHocon = "")
    {
        if (persistence.Mode == BambooPersistenceMode.Sqlite) BambooPersistence.PrepareSqlite(persistence.EffectiveConnectionString!);
        var system = ActorSystem.Create(name, BambooPersistence.Bootstrap(persistence,
            ConfigurationFactory.ParseString(extraHocon).WithFallback(BambooPersistence.ToHocon(persistence)).WithFallback(Config(null))));
        var settings = BambooConfig.RunnerSettings(system);
        if (settings.Durable != (persistence.Mode != BambooPersistenceMode.None))
            throw new InvalidOperationException($"sessions of {name} are {(settings.Durable ? "" : "not ")}durable against {persistence.Mode}");
        return (system, system.ActorOf(RunnerSupervisor.Props(settings), "runners"), settings);
    }

    /// <summary>A plain ActorSystem (no runners) with the quiet logging settings.</summary>
    public static ActorSystem CreatePlain(string name) => ActorSystem.Create(name, ConfigurationFactory.ParseString(Quiet));

    /// <summary>
    /// The runners hosted the way a service hosts them: <c>AddAkka(...)</c> with <c>WithBambooRunners</c> (and, when
    /// <paramref name="sharded"/>, <c>WithBambooCluster</c> on 127.0.0.1 with a free port, joined to itself, and
    /// <c>o.Sharded = true</c>), sessions explicitly not durable (<c>Persistence.Mode = None</c>). Returns once the
    /// supervisor is registered and, sharded, the node is up.
    /// </summary>
    public static async Task<HostedRunners> StartHostedAsync(string name, bool sharded)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = name });
        builder.Services.AddAkka(name, (akka, _) =>
        {
            akka.AddHocon(ConfigurationFactory.ParseString(Quiet), HoconAddMode.Prepend);
            if (sharded) akka.WithBambooCluster(new BambooClusterOptions { Enabled = true, Hostname = "127.0.0.1", Port = 0 });
            akka.WithBambooRunners(options =>
            {
                options.Sharded = sharded;
                options.Persistence.Mode = BambooPersistenceMode.None;
                options.VolatileSessions = sharded;
            });
        });
        var host = builder.Build();
        await host.StartAsync().ConfigureAwait(false);
        var system = host.Services.GetRequiredService<ActorSystem>();
        if (BambooConfig.RunnerSettings(system).Durable)
            throw new InvalidOperationException($"sessions of {name} are durable; this comparison is of in-memory sessions");
        if (sharded)
        {
            var cluster = Cluster.Get(system);
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            cluster.RegisterOnMemberUp(() => up.TrySetResult());
            await cluster.JoinAsync(cluster.SelfAddress).ConfigureAwait(false);
            await up.Task.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        var supervisor = await host.Services.GetRequiredService<ActorRegistry>().GetAsync<RunnerSupervisor>().ConfigureAwait(false);
        // The first command waits for the shard coordinator (a cluster singleton) to come up; the measurement should not.
        if (sharded) await supervisor.Ask<RunnerReplies.RunnerSnapshot>(new RunnerCommands.GetStatus("startup-probe"), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        return new HostedRunners(host, system, supervisor);
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

/// <summary>Runners in a generic host (see <see cref="BenchSystems.StartHostedAsync"/>).</summary>
public sealed class HostedRunners(IHost host, ActorSystem system, IActorRef supervisor) : IAsyncDisposable
{
    /// <summary>The host's ActorSystem.</summary>
    public ActorSystem System => system;

    /// <summary>The registered <see cref="RunnerSupervisor"/> (in front of the shard region when sharded).</summary>
    public IActorRef Supervisor => supervisor;

    /// <summary>Stops the host (CoordinatedShutdown: a sharded node leaves the cluster) and waits for the system.</summary>
    public async ValueTask DisposeAsync()
    {
        await host.StopAsync(new CancellationTokenSource(TimeSpan.FromMinutes(1)).Token).ConfigureAwait(false);
        await system.WhenTerminated.WaitAsync(TimeSpan.FromMinutes(1)).ConfigureAwait(false);
        host.Dispose();
    }
}
