namespace Bamboo.Actors.Protocol;

/// <summary>
/// Anything addressed to, or about, one session. This is what routing extracts: the local
/// <see cref="Runners.RunnerSupervisor"/> and the cluster shard region use the same extractor on it.
/// </summary>
public interface IWithSessionId
{
    /// <summary>The caller-chosen session identifier.</summary>
    string SessionId { get; }
}

/// <summary>A command a session runner accepts. Every command is answered (or, for an
/// unacknowledged <see cref="RunnerCommands.Publish"/>, answered only when it is refused).</summary>
public interface IRunnerCommand : IWithSessionId;

/// <summary>A reply sent by a session runner.</summary>
public interface IRunnerReply;
