namespace Bamboo.Actors.Server.Tests;

/// <summary>One running server shared by a test class; tests use their own session ids.</summary>
public class ServerFixture : IAsyncLifetime
{
    private RunningServer? _server;

    public RunningServer Server => _server ?? throw new InvalidOperationException("not started");

    protected virtual string[] Settings => [];

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync(Settings);

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}

/// <summary>Small retention and quick deadlines, for replay-gap and deadline scenarios.</summary>
public sealed class TightServerFixture : ServerFixture
{
    protected override string[] Settings =>
    [
        "--Bamboo:EventRetention=5",
        "--Bamboo:DeadlineGrace=00:00:00.200",
    ];
}
