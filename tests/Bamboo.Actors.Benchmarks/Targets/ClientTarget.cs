using Akka.Actor;
using Bamboo.Actors.Client;
using Bamboo.Actors.Protocol;

namespace Bamboo.Actors.Benchmarks.Targets;

/// <summary>(b) Bamboo.Actors through <see cref="IRunnerClient"/>: <c>ReserveAsync</c> (a lease with its executor
/// actor), three <c>PublishAsync</c>, <c>CompleteAsync</c>, then disposing the lease (which stops its executor actor).</summary>
public sealed class ClientTarget : ILifecycleTarget
{
    private readonly ActorSystem _system;
    private readonly IRunnerClient _client;

    private ClientTarget(ActorSystem system, IRunnerClient client)
    {
        _system = system;
        _client = client;
    }

    /// <inheritdoc />
    public string Name => "(b) IRunnerClient / RunLease";

    /// <summary>A local ActorSystem with its supervisor and a client over it.</summary>
    public static ClientTarget CreateLocal(TimeSpan askTimeout)
    {
        var (system, supervisor) = BenchSystems.CreateLocal("bench-client");
        return new ClientTarget(system, new RunnerClient(system, supervisor, ClientSettings.Default with { AskTimeout = askTimeout }));
    }

    /// <inheritdoc />
    public async ValueTask<object?> ReserveAsync(string sessionId)
    {
        var lease = await _client.ReserveAsync(sessionId).ConfigureAwait(false);
        if (lease.IsActive) return lease;
        await lease.DisposeAsync().ConfigureAwait(false);
        return null;
    }

    /// <inheritdoc />
    public async ValueTask<bool> CompleteAsync(object handle)
    {
        await using var lease = (RunLease)handle;
        foreach (var evt in BenchEvents.Cycle) await lease.PublishAsync(evt).ConfigureAwait(false);
        var result = await lease.CompleteAsync().ConfigureAwait(false);
        return result.Status == RunStatus.Completed;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await BenchSystems.TerminateAsync(_system).ConfigureAwait(false);
}
