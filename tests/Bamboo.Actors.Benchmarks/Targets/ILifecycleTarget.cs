namespace Bamboo.Actors.Benchmarks.Targets;

/// <summary>
/// One implementation of the run lifecycle under test. A cycle is: reserve a run for a session, publish three progress
/// events for it, finalize it as completed.
/// </summary>
public interface ILifecycleTarget : IAsyncDisposable
{
    /// <summary>Short label used in tables, e.g. <c>(a) RunnerSupervisor</c>.</summary>
    string Name { get; }

    /// <summary>Reserves a run. Returns the handle the rest of the cycle needs, or null when the reservation was refused.</summary>
    ValueTask<object?> ReserveAsync(string sessionId);

    /// <summary>Publishes the three events of a cycle and finalizes the run. Returns false on an unexpected reply.</summary>
    ValueTask<bool> CompleteAsync(object handle);
}

/// <summary>Cycle helpers shared by every scenario.</summary>
public static class LifecycleTargetExtensions
{
    /// <summary>One whole cycle: reserve → publish 3 events → finalize.</summary>
    public static async ValueTask<bool> CycleAsync(this ILifecycleTarget target, string sessionId)
    {
        var handle = await target.ReserveAsync(sessionId).ConfigureAwait(false);
        return handle is not null && await target.CompleteAsync(handle).ConfigureAwait(false);
    }
}
