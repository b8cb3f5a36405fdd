using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Bamboo.Actors.Client;
using Bamboo.Actors.Hosting;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using Bamboo.Actors.Sharding;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Cluster.Tests.Hosting;

public sealed class ClusterOptionsSpecs
{
    [Fact]
    public void Should_bind_cluster_options_from_the_Bamboo_Cluster_section()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Bamboo:Cluster:Hostname"] = "0.0.0.0",
            ["Bamboo:Cluster:PublicHostname"] = "node-a.internal",
            ["Bamboo:Cluster:Port"] = "5055",
            ["Bamboo:Cluster:Seeds:0"] = "akka.tcp://bamboo@node-a.internal:5055",
            ["Bamboo:Cluster:Seeds:1"] = "akka.tcp://bamboo@node-b.internal:5055, akka.tcp://bamboo@node-c.internal:5055",
            ["Bamboo:Cluster:Roles:0"] = "runners",
            ["Bamboo:Cluster:StableAfter"] = "00:00:15",
        }).Build();

        var options = configuration.GetSection(BambooClusterOptions.SectionName).Get<BambooClusterOptions>()!;

        Assert.True(options.IsEnabled);
        Assert.Equal(("0.0.0.0", "node-a.internal", 5055), (options.Hostname, options.PublicHostname, options.Port));
        Assert.Equal(["akka.tcp://bamboo@node-a.internal:5055", "akka.tcp://bamboo@node-b.internal:5055", "akka.tcp://bamboo@node-c.internal:5055"],
            options.SeedAddresses());
        Assert.Equal(["runners"], options.Roles);
        Assert.Equal(TimeSpan.FromSeconds(15), options.StableAfter);
        options.Validate("bamboo");
    }

    [Fact]
    public void Should_be_enabled_by_seeds_or_explicitly()
    {
        Assert.False(new BambooClusterOptions().IsEnabled);
        Assert.False(new BambooClusterOptions { Seeds = ["", " , "] }.IsEnabled);
        Assert.True(new BambooClusterOptions { Seeds = ["akka.tcp://bamboo@h:1"] }.IsEnabled);
        Assert.True(new BambooClusterOptions { Enabled = true }.IsEnabled);
        Assert.False(new BambooClusterOptions { Enabled = false, Seeds = ["akka.tcp://bamboo@h:1"] }.IsEnabled);
    }

    [Fact]
    public void Should_recognise_a_node_that_is_its_own_sole_seed()
    {
        var sole = new BambooClusterOptions { Hostname = "10.0.0.1", Port = 4053, Seeds = ["akka.tcp://bamboo@10.0.0.1:4053"] };
        var every = new BambooClusterOptions
        {
            Hostname = "10.0.0.1", Port = 4053,
            Seeds = ["akka.tcp://bamboo@10.0.0.1:4053", "akka.tcp://bamboo@10.0.0.2:4053", "akka.tcp://bamboo@10.0.0.3:4053"],
        };
        var another = new BambooClusterOptions { Hostname = "10.0.0.2", Port = 4053, Seeds = ["akka.tcp://bamboo@10.0.0.1:4053"] };

        Assert.True(sole.IsOnlySeed("bamboo"));
        Assert.False(every.IsOnlySeed("bamboo"));
        Assert.False(another.IsOnlySeed("bamboo"));
    }

    [Theory]
    [InlineData("not an address")]
    [InlineData("http://bamboo@host:4053")]
    [InlineData("akka.tcp://bamboo@host")]
    [InlineData("akka.tcp://other@host:4053")]
    public void Should_reject_a_seed_that_could_never_be_joined(string seed)
    {
        var options = new BambooClusterOptions { Seeds = [seed] };

        var problem = Assert.Throws<ArgumentException>(() => options.Validate("bamboo"));
        Assert.Contains(seed, problem.Message);
    }

    [Fact]
    public void Should_reject_an_unknown_split_brain_strategy_and_bad_numbers()
    {
        Assert.Throws<ArgumentException>(() => new BambooClusterOptions { SplitBrainStrategy = "keep-everyone" }.Validate(null));
        Assert.Throws<ArgumentException>(() => new BambooClusterOptions { Port = 70000 }.Validate(null));
        Assert.Throws<ArgumentException>(() => new BambooClusterOptions { StableAfter = TimeSpan.Zero }.Validate(null));
        new BambooClusterOptions { SplitBrainStrategy = "keep-oldest" }.Validate(null);
    }
}

public sealed class ShardOptionsSpecs
{
    [Fact]
    public void Should_leave_passivation_to_the_runners_and_stop_them_with_their_own_stop_message()
    {
        var options = BambooSharding.ShardOptions("runners");
        var hocon = options.ToString();

        // Sharding's idle timer would stop a runner in the middle of a long, quiet run.
        Assert.Contains("passivate-idle-entity-after = off", hocon);
        Assert.Contains("remember-entities = off", hocon);
        Assert.Same(SessionRunner.Stop.Instance, options.HandOffStopMessage);
        Assert.Equal("runners", options.Role);
        Assert.Null(BambooSharding.ShardOptions(" ").Role);
        Assert.Equal(100, BambooSharding.ShardCount);
    }
}

public sealed class ClusterHostingSpecs : IAsyncLifetime
{
    private IHost? _host;
    private bool _started;

    [Fact]
    public async Task Should_run_sharded_on_a_one_node_cluster_with_the_split_brain_resolver_on_by_default()
    {
        var system = await StartAsync(cluster => { }, runners => runners.Sharded = true);

        var config = system.Settings.Config;
        Assert.Equal("Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster", config.GetString("akka.cluster.downing-provider-class"));
        Assert.Equal("keep-majority", config.GetString("akka.cluster.split-brain-resolver.active-strategy"));
        Assert.Equal(TimeSpan.FromSeconds(20), config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after"));
        // The library's cluster defaults (hocon/cluster.conf) where Akka.Hosting adds no default of its own first; the
        // hand-off timeout, which Akka's sharding defaults hold too (60 s), is put in front of them.
        Assert.Equal(TimeSpan.FromSeconds(10), ClusterSharding.Get(system).Settings.TuningParameters.HandOffTimeout);
        Assert.Equal(TimeSpan.FromSeconds(60), config.GetTimeSpan("akka.cluster.shutdown-after-unsuccessful-join-seed-nodes"));
        Assert.Equal(TimeSpan.FromSeconds(5), config.GetTimeSpan("akka.cluster.retry-unsuccessful-join-after"));
        Assert.Equal(TimeSpan.FromSeconds(1), config.GetTimeSpan("akka.remote.retry-gate-closed-for"));
        Assert.Contains(BambooSharding.TypeName, ClusterSharding.Get(system).ShardTypeNames);
        Assert.NotNull(_host!.Services.GetRequiredService<IRequiredActor<SessionRunner>>().ActorRef);

        var client = _host.Services.GetRequiredService<IRunnerClient>();
        var result = await client.RunAsync("one-node", (run, _) => Task.CompletedTask);
        Assert.Equal(RunStatus.Completed, result.Status);
        Assert.Equal(RunStatus.Completed, Assert.IsType<RunnerSnapshot>(await client.GetStatusAsync("one-node")).Status);
    }

    [Fact]
    public async Task Should_apply_cluster_options_over_the_defaults()
    {
        var system = await StartAsync(cluster =>
        {
            cluster.SplitBrainStrategy = "keep-oldest";
            cluster.StableAfter = TimeSpan.FromSeconds(7);
            cluster.AcceptableHeartbeatPause = TimeSpan.FromSeconds(4);
            cluster.Roles = ["runners", "api"];
        }, runners =>
        {
            runners.Sharded = true;
            runners.ShardRole = "runners";
        });

        var config = system.Settings.Config;
        Assert.Equal("keep-oldest", config.GetString("akka.cluster.split-brain-resolver.active-strategy"));
        Assert.Equal(TimeSpan.FromSeconds(7), config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after"));
        Assert.Equal(TimeSpan.FromSeconds(4), config.GetTimeSpan("akka.cluster.failure-detector.acceptable-heartbeat-pause"));
        Assert.Equal(["runners", "api"], Akka.Cluster.Cluster.Get(system).SelfRoles.Order().Reverse());
        var client = _host!.Services.GetRequiredService<IRunnerClient>();
        Assert.Equal(RunStatus.Pending, Assert.IsType<RunnerSnapshot>(await client.GetStatusAsync("with-role")).Status);
    }

    [Fact]
    public async Task Should_refuse_to_start_with_a_seed_of_another_actor_system()
    {
        var problem = await Assert.ThrowsAnyAsync<Exception>(() => StartAsync(
            cluster => cluster.Seeds = ["akka.tcp://elsewhere@127.0.0.1:4053"], runners => runners.Sharded = true));

        Assert.Contains("elsewhere", problem.ToString());
    }

    [Fact]
    public async Task Should_refuse_sharded_runners_without_durable_sessions_unless_volatile_sessions_are_allowed()
    {
        var problem = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(cluster => { }, runners =>
        {
            runners.Sharded = true;
            runners.VolatileSessions = false;
        }));

        Assert.Contains("Bamboo:VolatileSessions", problem.Message);
    }

    [Fact]
    public async Task Should_leave_a_local_service_local_when_the_cluster_is_not_enabled()
    {
        var system = await StartAsync(cluster => cluster.Enabled = false, runners => { });

        Assert.IsNotType<Akka.Cluster.ClusterActorRefProvider>(((ExtendedActorSystem)system).Provider);
        var client = _host!.Services.GetRequiredService<IRunnerClient>();
        Assert.Equal(RunStatus.Completed, (await client.RunAsync("local", (run, _) => Task.CompletedTask)).Status);
    }

    private async Task<ActorSystem> StartAsync(Action<BambooClusterOptions> cluster, Action<BambooRunnerOptions> runners)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddAkka("bamboo", (akka, _) => akka
            .AddHocon("akka.loglevel = WARNING", HoconAddMode.Prepend)
            .WithBambooCluster(builder.Configuration, options =>
            {
                options.Enabled = true;
                options.Hostname = "127.0.0.1";
                options.Port = 0;
                cluster(options);
            })
            .WithBambooRunners(options =>
            {
                options.Persistence.Mode = BambooPersistenceMode.None;
                options.VolatileSessions = true;
                runners(options);
            })
            .WithActors((system, _) =>
            {
                // A one-node cluster: join itself.
                if (((ExtendedActorSystem)system).Provider is Akka.Cluster.ClusterActorRefProvider)
                    Akka.Cluster.Cluster.Get(system).Join(Akka.Cluster.Cluster.Get(system).SelfAddress);
            }));
        builder.Services.AddBambooRunnerClient();
        _host = builder.Build();
        await _host.StartAsync();
        _started = true;
        return _host.Services.GetRequiredService<ActorSystem>();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_host is null) return;
        try
        {
            // A host whose start failed before its hosted services were known cannot be stopped, only disposed.
            if (_started) await _host.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        }
        finally
        {
            _host.Dispose();
        }
    }
}
