using Akka;
using Akka.Actor;

namespace Bamboo.Actors.Server.Infrastructure;

/// <summary>
/// Graceful shutdown, driven by CoordinatedShutdown (started from SIGTERM / host stop, or by the cluster):
/// <c>before-service-unbind</c> stops accepting new runs; <c>service-requests-done</c> drains runs (the library cancels
/// active runs and waits up to the shutdown grace); <c>service-stop</c> closes the SSE streams, after their final events.
/// </summary>
internal sealed class ServerLifecycle
{
    // After the runs are drained, their final events may still be on their way to SSE subscribers.
    private static readonly TimeSpan StreamLinger = TimeSpan.FromMilliseconds(250);

    private readonly CancellationTokenSource _streamsClosing = new();
    private volatile bool _accepting = true;
    private ActorSystem? _system;

    /// <summary>Whether new runs and reservations are accepted.</summary>
    public bool AcceptingRuns => _accepting;

    /// <summary>Fires when SSE streams should end.</summary>
    public CancellationToken StreamsClosing => _streamsClosing.Token;

    /// <summary>
    /// The process's exit code once the host stopped: 1 when the actor system stopped because the cluster downed this
    /// node or it could not join its seeds (so a supervisor restarts it), else 0.
    /// </summary>
    public int ExitCode => ShutdownReason is CoordinatedShutdown.ClusterDowningReason or CoordinatedShutdown.ClusterJoinUnsuccessfulReason ? 1 : 0;

    /// <summary>Why the actor system shut down (null while it runs).</summary>
    public CoordinatedShutdown.Reason? ShutdownReason => _system is { } system ? CoordinatedShutdown.Get(system).ShutdownReason : null;

    public void Register(ActorSystem system, IHostApplicationLifetime lifetime)
    {
        _system = system;
        var shutdown = CoordinatedShutdown.Get(system);
        shutdown.AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "bamboo-server-stop-accepting", () =>
        {
            _accepting = false;
            return Task.FromResult(Done.Instance);
        });
        shutdown.AddTask(CoordinatedShutdown.PhaseServiceStop, "bamboo-server-close-streams", async () =>
        {
            await Task.Delay(StreamLinger);
            await _streamsClosing.CancelAsync();
            return Done.Instance;
        });
        // SIGTERM stops the host: start CoordinatedShutdown at once, so runs drain and streams close before Kestrel
        // waits for its open requests (SSE responses end only when their streams close).
        lifetime.ApplicationStopping.Register(() => shutdown.Run(CoordinatedShutdown.ClrExitReason.Instance));
    }
}
