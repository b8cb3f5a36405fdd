using Bamboo.Actors.Benchmarks.Grains;
using Bamboo.Actors.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace Bamboo.Actors.Benchmarks.Targets;

/// <summary>
/// (d) Orleans 10, one grain per session, in an in-process silo with localhost clustering, called through the
/// co-hosted client: <c>Reserve</c>, three one-way <c>Publish</c>, <c>Finalize</c>.
/// </summary>
public sealed class OrleansTarget : ILifecycleTarget
{
    private readonly IHost _host;
    private readonly IGrainFactory _grains;

    private OrleansTarget(IHost host)
    {
        _host = host;
        _grains = host.Services.GetRequiredService<IGrainFactory>();
    }

    /// <inheritdoc />
    public string Name => "(d) Orleans grain per session";

    /// <summary>Starts the silo (ephemeral loopback ports, warnings-only logging, the given response timeout).</summary>
    public static async Task<OrleansTarget> StartAsync(TimeSpan responseTimeout)
    {
        var host = new HostBuilder()
            .UseOrleans(silo => silo
                .UseLocalhostClustering(BenchSystems.FreePort(), BenchSystems.FreePort())
                .Configure<SiloMessagingOptions>(messaging => messaging.ResponseTimeout = responseTimeout))
            .ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .Build();
        await host.StartAsync().ConfigureAwait(false);
        return new OrleansTarget(host);
    }

    /// <inheritdoc />
    public async ValueTask<object?> ReserveAsync(string sessionId)
    {
        var grain = _grains.GetGrain<ISessionGrain>(sessionId);
        var reply = await grain.Reserve().ConfigureAwait(false);
        return reply.Reserved ? new Handle(grain, reply.RunId) : null;
    }

    /// <inheritdoc />
    public async ValueTask<bool> CompleteAsync(object handle)
    {
        var (grain, runId) = (Handle)handle;
        for (var kind = 0; kind < BenchEvents.Cycle.Length; kind++) _ = grain.Publish(runId, kind);
        var reply = await grain.Finalize(runId).ConfigureAwait(false);
        return reply.Code == 0 && reply.Status == (int)RunStatus.Completed;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync().ConfigureAwait(false);
        _host.Dispose();
    }

    private sealed record Handle(ISessionGrain Grain, string RunId);
}
