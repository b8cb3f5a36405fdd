using Akka.Actor;
using Akka.Coordination;
using Bamboo.Actors.Chaos.Model.Nodes;
using Bamboo.Actors.Coordination;

namespace Bamboo.Actors.Chaos.Model.Faults;

/// <summary>
/// The library's <see cref="SqlLease"/>, which a crash can kill as a dead process would: it stops renewing without
/// releasing (the row expires in the database), its check says false, and a shard that stops on the dying node cannot
/// give it back. Configured as the lease's <c>lease-class</c>.
/// </summary>
public sealed class ChaosLease : Lease
{
    private readonly SqlLease _inner;
    private readonly NodeContext _node;
    private volatile bool _dead;

    public ChaosLease(LeaseSettings settings, ExtendedActorSystem system) : base(settings)
    {
        _inner = new SqlLease(settings, system);
        _node = NodeContext.Of(system);
        _node.Add(this);
    }

    public override bool CheckLease() => !_dead && _inner.CheckLease();

    public override Task<bool> Acquire() => _dead ? Task.FromResult(false) : _inner.Acquire();

    public override Task<bool> Acquire(Action<Exception>? leaseLostCallback) =>
        _dead ? Task.FromResult(false) : _inner.Acquire(cause =>
        {
            // A loss on a live node (its renewals stalled) is recorded for the checks; a crashed node's is the crash's.
            if (!_dead) _node.Store.LeaseLost(_node.Label, Settings.LeaseName);
            leaseLostCallback?.Invoke(cause);
        });

    public override Task<bool> Release() => _dead ? Task.FromResult(true) : _inner.Release();

    /// <summary>The process died: no more renewals, no release.</summary>
    public void Kill()
    {
        _dead = true;
        _inner.Dispose();
    }
}
