using Bamboo.Actors.Events;

namespace Bamboo.Actors.Client;

/// <summary>What the work passed to <see cref="IRunnerClient.RunAsync"/> sees of its run.</summary>
public sealed class RunContext
{
    private readonly RunLease _lease;

    internal RunContext(RunLease lease) => _lease = lease;

    /// <summary>The session.</summary>
    public string SessionId => _lease.SessionId;

    /// <summary>The run.</summary>
    public string RunId => _lease.RunId!;

    /// <summary>Fires when the run must stop (cancelled, interrupted, deadline passed, session stopped).</summary>
    public CancellationToken CancellationToken => _lease.CancellationToken;

    /// <summary>Publishes a progress event (see <see cref="RunLease.PublishAsync"/>).</summary>
    public ValueTask<bool> PublishAsync(AgentEvent evt) => _lease.PublishAsync(evt);
}
