using Akka.Actor;
using Akka.Cluster.Sharding;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Sharding;

namespace Bamboo.Actors.Runners;

/// <summary>
/// How a session runner leaves memory without losing a command: sharding's passivation protocol, in both modes. The
/// runner asks its parent (supervisor or shard) to stop it; until the stop arrives, whatever arrives is handed back to
/// be delivered to the next incarnation.
/// </summary>
internal sealed class RunnerPassivation(IActorContext context, RunnerSettings settings, RunnerState<IActorRef> state, RunnerTimers timers)
{
    /// <summary>
    /// An idle check arrived. When the session has been idle for the whole idle timeout, asks the parent to stop this
    /// runner and returns true: until the stop arrives, the actor hands commands back (<see cref="HandBack"/>). A
    /// <paramref name="busy"/> or non-idle session gets a fresh check once it is idle.
    /// </summary>
    public bool IdleCheckFired(bool busy)
    {
        if (busy || !state.IsIdle)
        {
            timers.IdleCheckSkipped();
            return false;
        }
        if (!timers.IdleCheckFired()) return false;
        context.Parent.Tell(new Passivate(SessionRunner.Stop.Instance));
        return true;
    }

    /// <summary>Asks the parent to stop this runner although it is not idle (its memory can no longer be trusted).</summary>
    public void LeaveAfterFailure() => context.Parent.Tell(new Passivate(SessionRunner.Stop.Instance));

    /// <summary>
    /// Hands <paramref name="message"/>, if it is a command, back on behalf of <paramref name="sender"/> to whoever
    /// delivers it to the session's next incarnation: the shard region when sharded (it buffers while a shard is handed
    /// off and follows the session to its new node; the shard itself drops messages during a hand-off), else the parent
    /// supervisor (it buffers for a passivating child). Anything else is dropped.
    /// </summary>
    public void HandBack(object message, IActorRef sender)
    {
        if (message is not IRunnerCommand command) return;
        var target = settings.Sharded ? ClusterSharding.Get(context.System).ShardRegion(BambooSharding.TypeName) : context.Parent;
        target.Tell(command, sender);
    }
}
