using Akka.Cluster.Sharding;
using Bamboo.Actors.Protocol;

namespace Bamboo.Actors.Routing;

/// <summary>
/// Maps any <see cref="IWithSessionId"/> message to its session's entity id and shard. The local
/// <see cref="Runners.RunnerSupervisor"/> names its children with it and the cluster shard region routes with it, so
/// both topologies share every line of routing.
/// </summary>
public sealed class SessionMessageExtractor : HashCodeMessageExtractor
{
    /// <summary>
    /// Number of shards. It decides which shard owns a session, so it must never change once a cluster has run:
    /// nodes with different values would disagree. 100 is ten times a generous 10-node cluster.
    /// </summary>
    public const int ShardCount = 100;

    /// <summary>Creates the extractor with <see cref="ShardCount"/> shards.</summary>
    public SessionMessageExtractor() : base(ShardCount)
    {
    }

    /// <inheritdoc />
    public override string? EntityId(object message) =>
        message is IWithSessionId { SessionId: { } id } ? SessionIds.ToEntityId(id) : null;
}
