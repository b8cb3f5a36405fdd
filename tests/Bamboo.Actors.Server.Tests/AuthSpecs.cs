using System.Net;
using System.Net.Http.Headers;

namespace Bamboo.Actors.Server.Tests;

public sealed class ApiKeyServerFixture : ServerFixture
{
    protected override string[] Settings => ["--Bamboo:ApiKey=s3cret"];
}

public sealed class AuthSpecs(ApiKeyServerFixture fixture) : IClassFixture<ApiKeyServerFixture>
{
    private RunningServer Server => fixture.Server;

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong")]
    [InlineData("Basic czNjcmV0")]
    [InlineData("s3cret")]
    [InlineData("Bearer s3cre")]
    [InlineData("Bearer s3cretX")]
    [InlineData("Bearer S3CRET")]
    [InlineData("Bearer ")]
    public async Task Should_answer_401_without_the_right_bearer_key(string? authorization)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, RunningServer.Path("auth-1", "/runs"))
        {
            Content = new StringContent("""{"agent":"echo"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);

        var response = await Server.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("unauthorized", (await RunningServer.BodyAsync(response)).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await Server.Http.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task Should_serve_requests_with_the_key_and_healthz_and_readyz_without_it()
    {
        Assert.Equal(HttpStatusCode.OK, (await Server.Http.GetAsync("/healthz")).StatusCode);
        // Ready or not yet (the journal may still be initializing), but never a 401.
        Assert.Contains((await Server.Http.GetAsync("/readyz")).StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable });

        var request = new HttpRequestMessage(HttpMethod.Post, RunningServer.Path("auth-2", "/runs"))
        {
            Content = new StringContent("""{"agent":"echo"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");

        Assert.Equal(HttpStatusCode.Accepted, (await Server.Http.SendAsync(request)).StatusCode);
    }
}

public sealed class StartupSafetySpecs
{
    [Theory]
    [InlineData("http://0.0.0.0:0")]
    [InlineData("http://*:0")]
    [InlineData("http://+:0")]
    [InlineData("http://127.0.0.1:0;http://[::]:0")]
    public void Should_refuse_to_listen_beyond_loopback_without_an_api_key(string urls)
    {
        var error = Assert.Throws<Bamboo.Actors.Server.Infrastructure.UnprotectedListenException>(() => BambooServer.Create(["--urls", urls]));

        Assert.Contains("Bamboo:ApiKey", error.Message);
    }

    [Theory]
    [InlineData("http://127.0.0.1:0")]
    [InlineData("http://localhost:0")]
    [InlineData("http://[::1]:0")]
    public async Task Should_listen_on_loopback_without_an_api_key(string urls)
    {
        await using var app = BambooServer.Create(["--urls", urls]);
        Assert.NotNull(app);
    }
}
