using Akka.Actor;
using Akka.Cluster;
using Akka.Coordination;
using Akka.Event;

namespace Bamboo.Actors.Coordination;

/// <summary>
/// Stops a node that formed a cluster of its own while another cluster of the same system runs on the same store.
/// </summary>
/// <remarks>
/// <para>Only the first seed may form a new cluster, and only when none of the other seeds answered its join requests
/// within <c>seed-node-timeout</c>. A first seed restarted on its address can miss those answers although the others run
/// (Akka.Remote kept the address gated from the killed incarnation, akkadotnet/akka.net#1670): it then forms a second
/// cluster. The shard leases keep that safe — the second cluster gets no shard lease its peers renew, so no session runs
/// twice — but the node serves no session, answers <c>/healthz</c> and <c>/readyz</c>, and stays so for good (it
/// joined, so no join timeout ends it).</para>
/// <para>So when this node becomes <c>Up</c> as its cluster's only member, it looks at the lease table for leases held
/// by other nodes of this system (owner <c>system@host:port</c>, not its own address). Leases left by nodes that are gone
/// expire unrenewed, as after a restart of the whole cluster: the node stays. If any of them is renewed (or taken) while
/// it watches, another cluster is alive: the node shuts down with
/// <see cref="CoordinatedShutdown.ClusterJoinUnsuccessfulReason"/>, as a node that never joined does (the server exits
/// with code 1 and its supervisor starts it again, to join the running cluster).</para>
/// </remarks>
internal sealed class SecondClusterGuard : ReceiveActor, IWithTimers
{
    /// <summary>The guard's name under <c>/user</c>.</summary>
    public const string Name = "bamboo-second-cluster-guard";

    /// <summary>How often a query that failed is tried again before the guard gives up (the store is away: the shards'
    /// leases fail as well, and the readiness probe reports it).</summary>
    private const int Attempts = 3;

    private readonly ILeaseStore _store;
    private readonly TimeSpan _window;
    private readonly Cluster _cluster;
    private readonly string _owner;
    private readonly string _ownerPrefix;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IReadOnlyDictionary<string, HeldLease>? _first;
    private int _failures;

    /// <summary>Creates the guard (see <see cref="Props(ILeaseStore, TimeSpan)"/>).</summary>
    public SecondClusterGuard(ILeaseStore store, TimeSpan window)
    {
        _store = store;
        _window = window;
        _cluster = Cluster.Get(Context.System);
        _owner = _cluster.SelfAddress.HostPort();
        _ownerPrefix = Context.System.Name + "@";

        Receive<Check>(_ =>
        {
            if (!Alone())
            {
                Context.Stop(Self);
                return;
            }
            _store.HeldByOthersAsync(_ownerPrefix, _owner, CancellationToken.None)
                .PipeTo(Self, success: held => new Observed(held), failure: cause => new Failed(cause));
        });
        Receive<Observed>(observed =>
        {
            _failures = 0;
            if (_first is null)
            {
                if (observed.Held.Count == 0)
                {
                    Context.Stop(Self);
                    return;
                }
                _first = observed.Held.ToDictionary(lease => lease.Name, StringComparer.Ordinal);
                Timers.StartSingleTimer(nameof(Check), Check.Instance, _window);
                return;
            }
            var live = observed.Held.FirstOrDefault(lease =>
                !_first.TryGetValue(lease.Name, out var before) || before.Owner != lease.Owner || lease.Version > before.Version);
            if (live is not null && Alone())
            {
                _log.Error(
                    "This node formed a cluster of its own, but {0} renews lease [{1}] in the same store: another cluster of this " +
                    "system runs there (this node, its first seed, missed its answers when it joined). Shutting down to join that " +
                    "cluster when started again.", live.Owner, live.Name);
                CoordinatedShutdown.Get(Context.System).Run(CoordinatedShutdown.ClusterJoinUnsuccessfulReason.Instance);
            }
            Context.Stop(Self);
        });
        Receive<Failed>(failed =>
        {
            if (++_failures >= Attempts)
            {
                _log.Warning(failed.Cause, "Could not read the lease table to check for a second cluster; not checking");
                Context.Stop(Self);
                return;
            }
            Timers.StartSingleTimer(nameof(Check), Check.Instance, _window);
        });
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>
    /// Props of the guard on the lease table configured at <paramref name="leaseConfigPath"/>; it watches for one
    /// renewal round (two heartbeat intervals and an operation's timeout).
    /// </summary>
    public static Props Props(ActorSystem system, string leaseConfigPath)
    {
        var lease = LeaseSettings.Create(system.Settings.Config.GetConfig(leaseConfigPath), Name, Cluster.Get(system).SelfAddress.HostPort());
        var settings = SqlLeaseSettings.Create(lease);
        var timeouts = lease.TimeoutSettings;
        var store = SqlLease.CreateStore(settings, timeouts.OperationTimeout);
        return Props(store, timeouts.HeartbeatInterval * 2 + timeouts.OperationTimeout);
    }

    /// <summary>Props of the guard on <paramref name="store"/>, watching for <paramref name="window"/>.</summary>
    internal static Props Props(ILeaseStore store, TimeSpan window) =>
        Akka.Actor.Props.Create(() => new SecondClusterGuard(store, window));

    /// <inheritdoc />
    protected override void PreStart()
    {
        var self = Self;
        _cluster.RegisterOnMemberUp(() => self.Tell(Check.Instance));
    }

    private bool Alone() => _cluster.State.Members.Count(member => member.Status != MemberStatus.Removed) <= 1;

    private sealed class Check
    {
        public static readonly Check Instance = new();
    }

    private sealed record Observed(IReadOnlyList<HeldLease> Held);

    private sealed record Failed(Exception Cause);
}
