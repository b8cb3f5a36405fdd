using System.Data.Common;
using System.Net;
using System.Text.Json;
using Bamboo.Actors.TestSupport;
using Npgsql;
using Xunit.Abstractions;

namespace Bamboo.Actors.Server.Tests;

/// <summary>
/// <c>GET /readyz</c>: 200 only when the actor system runs, the node is an Up cluster member (cluster mode) and the journal
/// answers; otherwise 503 with <c>{"checks":{name: "ok"|reason}}</c>. <c>/healthz</c> stays liveness.
/// </summary>
public sealed class ReadinessSpecs(ITestOutputHelper output)
{
    private const string ShortProbe = "--Bamboo:Server:ReadinessTimeout=00:00:00.500";

    [Theory]
    [InlineData("Sqlite", true)]
    [InlineData("InMemory", true)]
    [InlineData("None", false)]
    public async Task Should_be_ready_on_a_normal_server(string mode, bool durable)
    {
        await using var server = await RunningServer.StartAsync($"--Bamboo:Persistence:Mode={mode}");

        // The journal may still be initializing (creating its tables) just after the start: ready within a bound.
        var checks = await UntilAsync(server.Http, HttpStatusCode.OK, TimeSpan.FromSeconds(30));

        Assert.Equal("ok", checks["actorSystem"]);
        Assert.Equal(durable, checks.ContainsKey("journal"));
        Assert.All(checks.Values, answer => Assert.Equal("ok", answer));
        Assert.False(checks.ContainsKey("cluster"));
    }

    [Fact]
    public async Task Should_answer_503_with_the_failing_journal_check_when_the_store_is_unreachable()
    {
        await using var server = await RunningServer.StartAsync(
            "--Bamboo:Persistence:Mode=PostgreSql",
            $"--Bamboo:Persistence:ConnectionString=Host=127.0.0.1;Port={TestPorts.Next()};Username=bamboo;Password=bamboo;Database=bamboo;Timeout=2",
            ShortProbe);

        var (status, checks) = await ReadyzAsync(server.Http);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("ok", checks["actorSystem"]);
        Assert.NotEqual("ok", checks["journal"]);
        // Liveness is another question: the process answers.
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/healthz")).StatusCode);
    }

    [SkippableFact]
    public async Task Should_follow_the_store_through_an_outage_and_back()
    {
        var missing = TestPostgres.MissingReason();
        Skip.If(missing is not null, missing);
        var database = new NpgsqlConnectionStringBuilder(TestPostgres.ConnectionString);
        await using var proxy = TcpProxy.Start(database.Host!, database.Port);
        proxy.Cut();
        var builder = new NpgsqlConnectionStringBuilder(TestPostgres.ConnectionString) { Host = "127.0.0.1", Port = proxy.Port, Timeout = 2 };

        // The store is away from the start: the server comes up, but is not ready.
        await using var server = await RunningServer.StartAsync(
            "--Bamboo:Persistence:Mode=PostgreSql", $"--Bamboo:Persistence:ConnectionString={builder.ConnectionString}", ShortProbe);
        var (status, checks) = await ReadyzAsync(server.Http);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.NotEqual("ok", checks["journal"]);

        proxy.Restore();
        await UntilAsync(server.Http, HttpStatusCode.OK, TimeSpan.FromSeconds(30));
        var run = await server.StartRunAsync("readiness-outage", """{"agent":"echo","input":"stored"}""");
        await server.WaitForStatusAsync("readiness-outage", "completed");

        proxy.Cut();
        var down = await UntilAsync(server.Http, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30));
        Assert.NotEqual("ok", down["journal"]);

        proxy.Restore();
        await UntilAsync(server.Http, HttpStatusCode.OK, TimeSpan.FromSeconds(30));
        Assert.Equal(run, (await server.GetAsync(RunningServer.Path("readiness-outage"))).Body.GetProperty("runId").GetString());
    }

    [Fact]
    public async Task Should_answer_503_in_cluster_mode_while_the_node_cannot_join()
    {
        // A single node whose only seed is a closed port never becomes a member.
        await using var server = await RunningServer.StartAsync(
            "--Bamboo:Cluster:Hostname=127.0.0.1",
            "--Bamboo:Cluster:Port=0",
            $"--Bamboo:Cluster:Seeds:0=akka.tcp://{BambooServer.ActorSystemName}@127.0.0.1:{TestPorts.Next()}");

        var (status, checks) = await ReadyzAsync(server.Http);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("ok", checks["actorSystem"]);
        Assert.NotEqual("ok", checks["cluster"]);
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task Should_become_ready_in_cluster_mode_once_the_node_is_up()
    {
        var port = TestPorts.Next();
        await using var server = await RunningServer.StartAsync(
            "--Bamboo:Cluster:Hostname=127.0.0.1",
            $"--Bamboo:Cluster:Port={port}",
            $"--Bamboo:Cluster:Seeds:0=akka.tcp://{BambooServer.ActorSystemName}@127.0.0.1:{port}");

        var ready = await UntilAsync(server.Http, HttpStatusCode.OK, TimeSpan.FromSeconds(30));

        Assert.Equal(("ok", "ok", "ok"), (ready["actorSystem"], ready["cluster"], ready["journal"]));
    }

    /// <summary>Polls <c>/readyz</c> until it answers <paramref name="expected"/>; every other answer must be the other of 200 and 503.</summary>
    private async Task<IReadOnlyDictionary<string, string>> UntilAsync(HttpClient http, HttpStatusCode expected, TimeSpan bound)
    {
        using var timeout = new CancellationTokenSource(bound);
        while (true)
        {
            var (status, checks) = await ReadyzAsync(http);
            output.WriteLine($"{status}: {string.Join(", ", checks.Select(check => $"{check.Key}={check.Value}"))}");
            if (status == expected) return checks;
            Assert.Contains(status, new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable });
            await Task.Delay(200, timeout.Token);
        }
    }

    private static async Task<(HttpStatusCode Status, IReadOnlyDictionary<string, string> Checks)> ReadyzAsync(HttpClient http)
    {
        using var response = await http.GetAsync("/readyz");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await RunningServer.BodyAsync(response);
        var checks = body.GetProperty("checks").EnumerateObject().ToDictionary(check => check.Name, check => check.Value.GetString()!);
        return (response.StatusCode, checks);
    }
}
