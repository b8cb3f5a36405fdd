using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.Sql.Journal;
using Bamboo.Actors.Chaos.Model.Nodes;

namespace Bamboo.Actors.Chaos.Model.Faults;

/// <summary>
/// Akka.Persistence.Sql's journal with faults in front of it, as <see cref="StoreFaults"/> decide: a write fails, is
/// rejected, or is held back before it reaches the database (the journal answers its writers in request order, so a
/// held-back write holds back the answers of every later write on that node, as a slow database does). During an
/// outage, and on a crashed node, every write and read fails. Configured as the <c>class</c> of the SQL journal plugins
/// (<c>chaos-scope = sessions</c> for the sessions' journal, <c>sharding</c> for sharding's own state, which gets no
/// random faults).
/// </summary>
public sealed class ChaosSqlJournal : SqlWriteJournal
{
    private readonly NodeContext _node;
    private readonly bool _sessions;

    public ChaosSqlJournal(Akka.Configuration.Config config) : base(config)
    {
        _node = NodeContext.Of(Context.System);
        _sessions = config.GetString("chaos-scope", "sessions") == "sessions";
    }

    protected override Task<IImmutableList<Exception>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        var writes = messages.ToList();
        var persistenceId = writes.Count > 0 ? writes[0].PersistenceId : "";
        var (fault, delay) = _node.Store.DecideWrite(_node.Label, persistenceId, _node.Dead, _sessions);
        switch (fault)
        {
            case WriteFault.Fail:
                return Task.FromException<IImmutableList<Exception>>(new ChaosJournalException($"injected write failure ({persistenceId})"));
            case WriteFault.Reject:
                return Task.FromResult<IImmutableList<Exception>>(
                    writes.Select(_ => (Exception)new ChaosJournalException($"injected write rejection ({persistenceId})")).ToImmutableList());
            case WriteFault.Delay:
                var delayed = new DelayedWrite(writes, cancellationToken, new TaskCompletionSource<IImmutableList<Exception>>(TaskCreationOptions.RunContinuationsAsynchronously));
                var self = Self;
                _ = Task.Delay(delay, CancellationToken.None).ContinueWith(_ => self.Tell(delayed, self), TaskScheduler.Default);
                return delayed.Completion.Task;
            default:
                return base.WriteMessagesAsync(writes, cancellationToken);
        }
    }

    protected override bool ReceivePluginInternal(object message)
    {
        if (message is not DelayedWrite delayed) return base.ReceivePluginInternal(message);
        if (_node.Dead)
        {
            delayed.Completion.TrySetException(new ChaosJournalException("the node crashed while its write was held back"));
            return true;
        }
        base.WriteMessagesAsync(delayed.Writes, delayed.Cancellation).ContinueWith(write =>
        {
            if (write.IsCompletedSuccessfully) delayed.Completion.TrySetResult(write.Result);
            else delayed.Completion.TrySetException(write.Exception?.InnerException ?? new ChaosJournalException("write cancelled"));
        }, TaskScheduler.Default);
        return true;
    }

    public override Task ReplayMessagesAsync(IActorContext context, string persistenceId, long fromSequenceNr, long toSequenceNr, long max,
        Action<IPersistentRepresentation> recoveryCallback) =>
        _node.Store.FailRead(_node.Label, persistenceId, _node.Dead)
            ? Task.FromException(new ChaosJournalException($"injected read failure ({persistenceId})"))
            : base.ReplayMessagesAsync(context, persistenceId, fromSequenceNr, toSequenceNr, max, recoveryCallback);

    public override Task<long> ReadHighestSequenceNrAsync(string persistenceId, long fromSequenceNr, CancellationToken cancellationToken) =>
        _node.Store.FailRead(_node.Label, persistenceId, _node.Dead)
            ? Task.FromException<long>(new ChaosJournalException($"injected read failure ({persistenceId})"))
            : base.ReadHighestSequenceNrAsync(persistenceId, fromSequenceNr, cancellationToken);

    protected override Task DeleteMessagesToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken) =>
        _node.Dead || _node.Store.InOutage
            ? Task.FromException(new ChaosJournalException($"injected delete failure ({persistenceId})"))
            : base.DeleteMessagesToAsync(persistenceId, toSequenceNr, cancellationToken);

    private sealed record DelayedWrite(List<AtomicWrite> Writes, CancellationToken Cancellation, TaskCompletionSource<IImmutableList<Exception>> Completion)
        : INoSerializationVerificationNeeded;
}
