using System.Net;
using System.Net.Http.Headers;
using Bamboo.Actors.Server.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Bamboo.Actors.TestSupport;

namespace Bamboo.Actors.Server.Tests;

/// <summary>
/// The API key is required whenever the server listens beyond loopback, however the address was configured: the check
/// reads the addresses Kestrel actually bound, and a server that would be open stops before it serves anything.
/// </summary>
public sealed class ListenGuardSpecs
{
    private static string DataFolder() =>
        $"--Bamboo:Persistence:DataFolder={Path.Combine(Path.GetTempPath(), "bamboo-server-tests", Guid.NewGuid().ToString("N"))}";

    [Theory]
    [InlineData("http://0.0.0.0:0")]
    [InlineData("http://[::]:0")]
    [InlineData("http://*:0")]
    [InlineData("http://+:0")]
    [InlineData("http://bamboo.example:0")]
    public async Task Should_refuse_to_start_when_kestrel_endpoints_bind_beyond_loopback_without_an_api_key(string url)
    {
        // The configured URLs are loopback: only the addresses Kestrel bound tell the truth.
        await using var app = BambooServer.Create(["--urls", "http://127.0.0.1:0", $"--Kestrel:Endpoints:Http:Url={url}", DataFolder()]);

        var error = await Assert.ThrowsAsync<UnprotectedListenException>(() => app.StartAsync());

        Assert.Contains("Bamboo:ApiKey", error.Message);
    }

    [Theory]
    [InlineData("http://127.0.0.1:0")]
    [InlineData("http://[::1]:0")]
    public async Task Should_start_on_loopback_kestrel_endpoints_without_an_api_key(string url)
    {
        await using var app = BambooServer.Create([$"--Kestrel:Endpoints:Http:Url={url}", DataFolder()]);

        await app.StartAsync();

        Assert.All(app.Urls, address => Assert.True(ApiKeyAuthentication.IsLoopback(address), address));
        await app.StopAsync();
    }

    [Fact]
    public void Should_refuse_a_key_of_only_whitespace_as_no_key()
    {
        var error = Assert.Throws<UnprotectedListenException>(() => BambooServer.Create(["--urls", "http://0.0.0.0:0", "--Bamboo:ApiKey=   "]));

        Assert.Contains("Bamboo:ApiKey", error.Message);
    }

    [Fact]
    public async Task Should_exit_non_zero_with_a_message_when_kestrel_endpoints_bind_every_interface_without_a_key()
    {
        var port = TestPorts.Next();
        var environment = new Dictionary<string, string> { ["Kestrel__Endpoints__Http__Url"] = $"http://0.0.0.0:{port}" };

        var (exitCode, output) = await ServerProcess.RunToExitAsync([DataFolder()], environment, TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, exitCode);
        Assert.Contains($"Refusing to serve on http://0.0.0.0:{port} without an API key", output);
        Assert.Contains("Bamboo:ApiKey", output);
    }

    [Fact]
    public async Task Should_serve_and_require_the_key_when_kestrel_endpoints_bind_every_interface_with_a_key()
    {
        var port = TestPorts.Next();
        var environment = new Dictionary<string, string>
        {
            ["Kestrel__Endpoints__Http__Url"] = $"http://0.0.0.0:{port}",
            ["Bamboo__ApiKey"] = "wide-open-key",
        };
        await using var server = await ServerProcess.StartAsync([DataFolder()], port, environment);
        var http = server.Client.Http;

        Assert.Contains((await http.GetAsync("/readyz")).StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable });
        var anonymous = await server.Client.PostJsonAsync(RunningServerClient.Path("wide", "/runs"), """{"agent":"echo"}""");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var request = new HttpRequestMessage(HttpMethod.Post, RunningServerClient.Path("wide", "/runs"))
        {
            Content = new StringContent("""{"agent":"echo"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "wide-open-key");
        Assert.Equal(HttpStatusCode.Accepted, (await http.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Should_abort_requests_that_arrive_before_the_check_and_stop_the_server_when_it_fails()
    {
        var inner = new EagerServer("http://0.0.0.0:8080");
        var application = new CountingApplication();
        var guard = new ListenGuardServer(inner, apiKeyConfigured: false);

        await Assert.ThrowsAsync<UnprotectedListenException>(() => guard.StartAsync(application, CancellationToken.None));
        await inner.EarlyRequest!;

        Assert.Equal(0, application.Processed);
        Assert.True(inner.Lifetime.Aborted);
        Assert.True(inner.Stopped);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080", false)]
    [InlineData("http://0.0.0.0:8080", true)]
    public async Task Should_serve_requests_that_arrive_before_the_check_once_it_passes(string address, bool apiKeyConfigured)
    {
        var inner = new EagerServer(address);
        var application = new CountingApplication();
        var guard = new ListenGuardServer(inner, apiKeyConfigured);

        await guard.StartAsync(application, CancellationToken.None);
        await inner.EarlyRequest!;

        Assert.Equal(1, application.Processed);
        Assert.False(inner.Lifetime.Aborted);
        Assert.False(inner.Stopped);
    }

    /// <summary>A server that reports <paramref name="address"/> and gets a request before its start returns, as Kestrel may.</summary>
    private sealed class EagerServer(string address) : IServer
    {
        public FakeLifetime Lifetime { get; } = new();

        public Task? EarlyRequest { get; private set; }

        public bool Stopped { get; private set; }

        public IFeatureCollection Features { get; } = Addresses(address);

        public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken) where TContext : notnull
        {
            var features = new FeatureCollection();
            features.Set<IHttpRequestLifetimeFeature>(Lifetime);
            var context = application.CreateContext(features);
            EarlyRequest = application.ProcessRequestAsync(context).ContinueWith(
                done => application.DisposeContext(context, done.Exception), TaskScheduler.Default);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken)
        {
            Stopped = true;
            return Task.CompletedTask;
        }

        public void Dispose()
        {
        }

        private static FeatureCollection Addresses(string address)
        {
            var features = new FeatureCollection();
            var addresses = new ServerAddressesFeature();
            addresses.Addresses.Add(address);
            features.Set<IServerAddressesFeature>(addresses);
            return features;
        }
    }

    private sealed class FakeLifetime : IHttpRequestLifetimeFeature
    {
        public bool Aborted { get; private set; }

        public CancellationToken RequestAborted { get; set; }

        public void Abort() => Aborted = true;
    }

    private sealed class CountingApplication : IHttpApplication<object>
    {
        private int _processed;

        public int Processed => _processed;

        public object CreateContext(IFeatureCollection contextFeatures) => new();

        public Task ProcessRequestAsync(object context)
        {
            Interlocked.Increment(ref _processed);
            return Task.CompletedTask;
        }

        public void DisposeContext(object context, Exception? exception)
        {
        }
    }
}
