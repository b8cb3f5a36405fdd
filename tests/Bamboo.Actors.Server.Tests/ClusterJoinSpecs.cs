using Bamboo.Actors.TestSupport;
namespace Bamboo.Actors.Server.Tests;

/// <summary>A node that cannot join its cluster does not linger as a process that answers /healthz but no session: it
/// leaves after the join timeout and exits non-zero, so its supervisor starts it again.</summary>
public sealed class ClusterJoinSpecs
{
    [Fact]
    public async Task Should_exit_non_zero_when_the_node_cannot_join_its_seeds_within_the_join_timeout()
    {
        // The only seed is a port nobody listens on: no join is ever answered.
        var (exitCode, output) = await ServerProcess.RunToExitAsync(
        [
            $"--Bamboo:Persistence:DataFolder={Path.Combine(Path.GetTempPath(), "bamboo-server-tests", Guid.NewGuid().ToString("N"))}",
            "--Bamboo:Cluster:Hostname=127.0.0.1",
            $"--Bamboo:Cluster:Port={TestPorts.Next()}",
            $"--Bamboo:Cluster:Seeds:0=akka.tcp://{BambooServer.ActorSystemName}@127.0.0.1:{TestPorts.Next()}",
            "--Bamboo:Cluster:JoinTimeout=00:00:03",
        ], environment: null, TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 1, $"exit code {exitCode}; output:{Environment.NewLine}{output}");
    }
}
