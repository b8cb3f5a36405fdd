using Akka.Actor;
using Akka.Cluster;
using Bamboo.Actors.Client;
using Bamboo.Actors.Cluster.Tests.Infrastructure;
using Bamboo.Actors.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MyService;
using Bamboo.Actors.TestSupport;

namespace Bamboo.Actors.Cluster.Tests.Hosting;

public sealed class ReadmeClusterExampleSpecs
{
    [Fact]
    public void Should_show_in_the_readme_exactly_the_cluster_example_this_project_compiles()
    {
        var readme = Normalize(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "README.md")));
        var example = Normalize(File.ReadAllText(Find(Path.Combine("tests", "Bamboo.Actors.Cluster.Tests", "Examples", "ClusterExample.cs"))));

        Assert.Contains(example, readme);
    }

    [Fact]
    public async Task Should_form_a_one_node_cluster_from_the_Bamboo_Cluster_configuration_of_the_example()
    {
        var port = TestPorts.Next();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Bamboo:Cluster:Hostname"] = "127.0.0.1",
            ["Bamboo:Cluster:Port"] = port.ToString(),
            ["Bamboo:Cluster:Seeds:0"] = $"akka.tcp://agents@127.0.0.1:{port}",
            // Durable sessions (the default) in a database of this test's own.
            ["Bamboo:Persistence:DataFolder"] = Path.Combine(Path.GetTempPath(), "bamboo-cluster-tests", Guid.NewGuid().ToString("N")),
        });
        builder.Services.AddClusteredAgentRuns(builder.Configuration);
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var cluster = Akka.Cluster.Cluster.Get(host.Services.GetRequiredService<ActorSystem>());
            await Eventually.TrueAsync(() => cluster.SelfMember.Status == MemberStatus.Up, TimeSpan.FromSeconds(20), "member up");

            var runners = host.Services.GetRequiredService<IRunnerClient>();
            var result = await runners.RunAsync("readme-cluster", (run, _) => Task.CompletedTask);

            Assert.Equal(RunStatus.Completed, result.Status);
        }
        finally
        {
            await host.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        }
    }

    private static string Find(string relativePath)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relativePath);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"{relativePath} not found above {AppContext.BaseDirectory}");
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n").Trim();
}
