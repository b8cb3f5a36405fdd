using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace Bamboo.Actors.Benchmarks.Harness;

/// <summary>
/// The default mailbox of every benchmark ActorSystem: Akka's unbounded mailbox, which for the two actors every command
/// may pass through — the <c>RunnerSupervisor</c> (<c>/user/runners</c>) and the session shard region
/// (<c>/system/sharding/bamboo-session</c>) — also counts the messages they take out of it (their single consumer
/// thread counts, so no atomic operation is added). Other actors get Akka's plain queue: nothing changes for them.
/// </summary>
public sealed class CountingMailbox(Settings settings, Config config) : MailboxType(settings, config), IProducesMessageQueue<CountingMailbox.CountingQueue>
{
    /// <summary>The HOCON that makes this the default mailbox.</summary>
    public const string Hocon = "akka.actor.default-mailbox.mailbox-type = \"Bamboo.Actors.Benchmarks.Harness.CountingMailbox, Bamboo.Actors.Benchmarks\"";

    private static readonly Counter SupervisorCounter = new();
    private static readonly Counter RegionCounter = new();

    /// <summary>Messages the supervisors of every benchmark system have handled so far.</summary>
    public static long Supervisor => Volatile.Read(ref SupervisorCounter.Value);

    /// <summary>Messages the session shard regions of every benchmark system have handled so far.</summary>
    public static long Region => Volatile.Read(ref RegionCounter.Value);

    /// <summary>Both, the messages through the one actor per node every command may pass.</summary>
    public static long Entry => Supervisor + Region;

    /// <inheritdoc />
    public override IMessageQueue Create(IActorRef owner, ActorSystem system)
    {
        var path = owner?.Path;
        if (path is { Name: "runners", Parent.Name: "user" }) return new CountingQueue(SupervisorCounter);
        if (path is { Name: "bamboo-session", Parent.Name: "sharding", Parent.Parent.Name: "system" }) return new CountingQueue(RegionCounter);
        return new UnboundedMessageQueue();
    }

    internal sealed class Counter
    {
        public long Value;
    }

    /// <summary>Akka's unbounded queue, counting what its consumer takes out (plain queues for everyone else).</summary>
    public sealed class CountingQueue : IMessageQueue, IUnboundedMessageQueueSemantics
    {
        private readonly UnboundedMessageQueue _queue = new();
        private readonly Counter _counter;

        internal CountingQueue(Counter counter) => _counter = counter;

        /// <inheritdoc />
        public bool HasMessages => _queue.HasMessages;

        /// <inheritdoc />
        public int Count => _queue.Count;

        /// <inheritdoc />
        public void Enqueue(IActorRef receiver, Envelope envelope) => _queue.Enqueue(receiver, envelope);

        /// <inheritdoc />
        public bool TryDequeue(out Envelope envelope)
        {
            if (!_queue.TryDequeue(out envelope)) return false;
            Volatile.Write(ref _counter.Value, _counter.Value + 1);
            return true;
        }

        /// <inheritdoc />
        public void CleanUp(IActorRef owner, IMessageQueue deadletters) => _queue.CleanUp(owner, deadletters);
    }
}
