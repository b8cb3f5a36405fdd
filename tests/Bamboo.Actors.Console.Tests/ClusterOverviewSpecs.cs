using System.Net;
using System.Text.Json;
using Bamboo.Actors.Server;
using Bamboo.Actors.Server.Tests;
using Bamboo.Actors.TestSupport;

namespace Bamboo.Actors.Console.Tests;

/// <summary>The overview of a server in cluster mode (a one-node cluster): its members and the sessions each hosts.</summary>
public sealed class ClusterOverviewSpecs
{
    [Fact]
    public async Task Should_list_the_members_with_their_roles_and_the_sessions_they_host()
    {
        var port = TestPorts.Next();
        await using var server = await RunningServer.StartAsync(
            "--Bamboo:Cluster:Hostname=127.0.0.1",
            $"--Bamboo:Cluster:Port={port}",
            "--Bamboo:Cluster:Roles:0=sessions",
            $"--Bamboo:Cluster:Seeds:0=akka.tcp://{BambooServer.ActorSystemName}@127.0.0.1:{port}");
        var address = $"akka.tcp://{BambooServer.ActorSystemName}@127.0.0.1:{port}";

        var up = await UntilAsync(server, overview => Member(overview) is { } self && self.GetProperty("status").GetString() == "up");
        Assert.Equal(address, up.GetProperty("node").GetString());

        await server.StartRunAsync("cluster/overview 🎋", """{"agent":"sleep","durationMs":60000}""");
        var hosting = await UntilAsync(server, overview => Member(overview) is { } self && self.GetProperty("sessions").ValueKind == JsonValueKind.Number
            && self.GetProperty("sessions").GetInt32() >= 1);

        var cluster = hosting.GetProperty("cluster");
        Assert.Equal("ok", cluster.GetProperty("sharding").GetString());
        Assert.Equal(address, cluster.GetProperty("leader").GetString());
        var member = Member(hosting)!.Value;
        Assert.True(member.GetProperty("self").GetBoolean());
        Assert.True(member.GetProperty("reachable").GetBoolean());
        Assert.Contains("sessions", member.GetProperty("roles").EnumerateArray().Select(role => role.GetString()));
        Assert.True(member.GetProperty("shards").GetInt32() >= 1);
        Assert.True(hosting.GetProperty("runsActive").GetInt64() >= 1);
    }

    private static JsonElement? Member(JsonElement overview) =>
        overview.GetProperty("cluster") is { ValueKind: JsonValueKind.Object } cluster
            ? cluster.GetProperty("members").EnumerateArray().Cast<JsonElement?>().FirstOrDefault(member => member!.Value.GetProperty("self").GetBoolean())
            : null;

    /// <summary>Polls <c>/overview</c> (bounded) until <paramref name="condition"/> holds.</summary>
    private static async Task<JsonElement> UntilAsync(RunningServer server, Func<JsonElement, bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var (response, overview) = await server.GetAsync("/overview");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            if (condition(overview)) return overview;
            await Task.Delay(200, timeout.Token);
        }
    }
}
