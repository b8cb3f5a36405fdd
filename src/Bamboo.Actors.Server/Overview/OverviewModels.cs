namespace Bamboo.Actors.Server.Overview;

/// <summary>
/// <c>GET /overview</c>: what the console's overview shows. Runs are counted by this process (the same instruments as
/// <c>/metrics</c>); in cluster mode <see cref="Cluster"/> lists every member and the sessions each one hosts.
/// </summary>
/// <param name="GeneratedAt">When the answer was made.</param>
/// <param name="Node">This node's cluster address; null outside cluster mode.</param>
/// <param name="RunsActive">Runs running in this process now.</param>
/// <param name="LastHour">Totals of <paramref name="Minutes"/>.</param>
/// <param name="Minutes">The last 60 minutes, oldest first; the last one is the current, partial minute.</param>
/// <param name="Cluster">Members and where sessions live; null outside cluster mode.</param>
public sealed record OverviewResponse(
    DateTimeOffset GeneratedAt,
    string? Node,
    long RunsActive,
    HourTotals LastHour,
    IReadOnlyList<MinuteCounts> Minutes,
    ClusterOverview? Cluster);

/// <summary>Runs that started and ended in one minute (by how they ended: <c>error</c> counts as failed).</summary>
public sealed record MinuteCounts(DateTimeOffset Minute, long Started, long Completed, long Cancelled, long Failed);

/// <summary>Totals over the last hour. <paramref name="ErrorRate"/> is failed / ended (null when none ended).</summary>
public sealed record HourTotals(long Started, long Completed, long Cancelled, long Failed, double? ErrorRate);

/// <summary>The cluster as this node sees it.</summary>
/// <param name="Leader">The leader's address, if there is one.</param>
/// <param name="Members">Every member, this node included.</param>
/// <param name="Sharding"><c>"ok"</c> when the session counts are current, else why they are missing.</param>
public sealed record ClusterOverview(string? Leader, IReadOnlyList<ClusterMember> Members, string Sharding);

/// <summary>One cluster member.</summary>
/// <param name="Address">Its Akka address (<c>akka.tcp://bamboo@host:port</c>).</param>
/// <param name="Status">Its membership status in lower case (<c>joining</c>, <c>up</c>, <c>leaving</c>, <c>exiting</c>, <c>down</c>, …).</param>
/// <param name="Reachable">Whether this node's failure detector reaches it.</param>
/// <param name="Roles">Its roles.</param>
/// <param name="Self">Whether it is the node that answered.</param>
/// <param name="Sessions">Session runners in memory on it (sharding statistics); null when unknown.</param>
/// <param name="Shards">Session shards it hosts; null when unknown.</param>
public sealed record ClusterMember(string Address, string Status, bool Reachable, IReadOnlyList<string> Roles, bool Self, int? Sessions, int? Shards);
