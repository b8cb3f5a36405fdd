using Bamboo.Actors.Server.Tests;

namespace Bamboo.Actors.Console.Tests;

/// <summary>One in-process server (Kestrel on a free loopback port) shared by a spec class; specs use their own session ids.</summary>
public class ConsoleServerFixture : IAsyncLifetime
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

/// <summary>A server that wants an API key.</summary>
public sealed class KeyServerFixture : ConsoleServerFixture
{
    public const string Key = "console-spec-key";

    protected override string[] Settings => [$"--Bamboo:ApiKey={Key}"];
}

/// <summary>A server that retains only a few events per session, so a late reader meets a replay gap.</summary>
public sealed class ShortRetentionServerFixture : ConsoleServerFixture
{
    public const int Retention = 5;

    protected override string[] Settings => [$"--Bamboo:EventRetention={Retention}"];
}
