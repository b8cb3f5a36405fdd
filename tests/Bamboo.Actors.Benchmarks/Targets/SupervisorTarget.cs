using Akka.Actor;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Benchmarks.Targets;

/// <summary>
/// (a) Bamboo.Actors through the <c>RunnerSupervisor</c> with plain Akka messaging: <c>Ask(Reserve)</c>, three
/// unacknowledged <c>Tell(Publish)</c> (as a lease publishes), <c>Ask(Finalize)</c>. The same class drives the sharded
/// topology when given a supervisor in front of a shard region.
/// </summary>
public sealed class SupervisorTarget(string name, ActorSystem system, IActorRef supervisor, TimeSpan askTimeout, bool ownsSystem = true)
    : ILifecycleTarget
{
    private readonly IAsyncDisposable? _host;

    /// <summary>Runners in a generic host; disposing the target stops the host.</summary>
    public SupervisorTarget(string name, HostedRunners hosted, TimeSpan askTimeout)
        : this(name, hosted.System, hosted.Supervisor, askTimeout, ownsSystem: false) => _host = hosted;

    /// <inheritdoc />
    public string Name => name;

    /// <summary>The system under test.</summary>
    public ActorSystem System => system;

    /// <summary>The supervisor under test.</summary>
    public IActorRef Supervisor => supervisor;

    /// <summary>(a): a local ActorSystem with its supervisor.</summary>
    public static SupervisorTarget CreateLocal(TimeSpan askTimeout)
    {
        var (system, supervisor) = BenchSystems.CreateLocal("bench-local");
        return new SupervisorTarget("(a) RunnerSupervisor, local", system, supervisor, askTimeout);
    }

    /// <inheritdoc />
    public async ValueTask<object?> ReserveAsync(string sessionId)
    {
        var reply = await supervisor.Ask<IRunnerReply>(new Reserve(sessionId), askTimeout).ConfigureAwait(false);
        return reply as Reserved;
    }

    /// <inheritdoc />
    public async ValueTask<bool> CompleteAsync(object handle)
    {
        var run = (Reserved)handle;
        foreach (var evt in BenchEvents.Cycle) supervisor.Tell(new Publish(run.SessionId, run.RunId, evt));
        var reply = await supervisor.Ask<IRunnerReply>(new Finalize(run.SessionId, run.RunId, RunOutcome.Completed), askTimeout)
            .ConfigureAwait(false);
        return reply is Finalized { Status: RunStatus.Completed };
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync().ConfigureAwait(false);
        else if (ownsSystem) await BenchSystems.TerminateAsync(system).ConfigureAwait(false);
    }
}
