using Bamboo.Actors.Benchmarks.Seed;
using Bamboo.Actors.Events;

namespace Bamboo.Actors.Benchmarks.Targets;

/// <summary>
/// (c) The seed's design ported to C#: get-or-create the session's broadcast sender, <c>try_reserve_runner</c>, the
/// forwarder's <c>ExecutionStarted</c>, three forwarded events (each a write-lock of the global map), then
/// <c>finalize_runner</c>. The forwarder's bounded queue hop is left out, which only favours the seed.
/// </summary>
public sealed class SeedLockMapTarget : ILifecycleTarget
{
    private static readonly AgentEvent Started = new ExecutionStarted();
    private readonly SeedRunners _runners = new();

    /// <inheritdoc />
    public string Name => "(c) seed port: one async RwLock over a map";

    /// <inheritdoc />
    public async ValueTask<object?> ReserveAsync(string sessionId)
    {
        var sender = await _runners.GetOrCreateSenderAsync(sessionId).ConfigureAwait(false);
        var reservation = await _runners.TryReserveRunnerAsync(sessionId, sender).ConfigureAwait(false);
        if (reservation is null) return null;
        sender.Send(Started);
        return new Handle(sessionId, sender, reservation);
    }

    /// <inheritdoc />
    public async ValueTask<bool> CompleteAsync(object handle)
    {
        var run = (Handle)handle;
        foreach (var evt in BenchEvents.Cycle) await _runners.ForwardAsync(run.SessionId, run.Sender, evt).ConfigureAwait(false);
        await _runners.FinalizeRunnerAsync(run.SessionId, null).ConfigureAwait(false);
        return true;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed record Handle(string SessionId, BroadcastSender Sender, RunnerReservation Reservation);
}
