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
/// <para>
/// Failures the store or Akka.Persistence produce by themselves are recorded beside the injected ones, so the checks
/// excuse what a failed write explains whatever caused it: an exception or a per-message error from the database, a
/// write that outlasted the circuit breaker's call timeout (its writer was told it failed, although the row may yet
/// land), and a write the open breaker refused without calling the journal at all (after ten failures in a row, for
/// its reset timeout).
/// </para>
/// </summary>
public sealed class ChaosSqlJournal : SqlWriteJournal
{
    private readonly NodeContext _node;
    private readonly bool _sessions;
    private readonly TimeSpan _callTimeout;
    private bool _writeCalled;

    public ChaosSqlJournal(Akka.Configuration.Config config) : base(config)
    {
        _node = NodeContext.Of(Context.System);
        _sessions = config.GetString("chaos-scope", "sessions") == "sessions";
        _callTimeout = config.GetTimeSpan("circuit-breaker.call-timeout", TimeSpan.FromSeconds(10));
    }

    // Akka's AsyncWriteJournal calls WriteMessagesAsync within the receive of WriteMessages unless its circuit breaker is
    // open (it then fails the writes at once): a WriteMessages that leaves without a call was refused by the breaker.
    protected override bool AroundReceive(Receive receive, object message)
    {
        if (message is not WriteMessages write) return base.AroundReceive(receive, message);
        _writeCalled = false;
        var handled = base.AroundReceive(receive, message);
        if (!_writeCalled)
        {
            foreach (var persistenceId in write.Messages.OfType<AtomicWrite>().Select(atomic => atomic.PersistenceId).Distinct())
                _node.Store.Observed(_node.Label, persistenceId, WriteFault.Fail, "breaker open");
        }
        return handled;
    }

    protected override Task<IImmutableList<Exception>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        _writeCalled = true;
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
                var delayed = new DelayedWrite(writes, cancellationToken, _node.Store.Clock.Now, new TaskCompletionSource<IImmutableList<Exception>>(TaskCreationOptions.RunContinuationsAsynchronously));
                var self = Self;
                _ = Task.Delay(delay, CancellationToken.None).ContinueWith(_ => self.Tell(delayed, self), TaskScheduler.Default);
                return delayed.Completion.Task;
            default:
                return Observe(base.WriteMessagesAsync(writes, cancellationToken), persistenceId, _node.Store.Clock.Now);
        }
    }

    private Task<IImmutableList<Exception>> Observe(Task<IImmutableList<Exception>> write, string persistenceId, TimeSpan started)
    {
        var store = _node.Store;
        var node = _node.Label;
        var callTimeout = _callTimeout;
        return write.ContinueWith(done =>
        {
            if (!done.IsCompletedSuccessfully) store.Observed(node, persistenceId, WriteFault.Fail, "store");
            else if (done.Result is { } errors && errors.Any(error => error is not null)) store.Observed(node, persistenceId, WriteFault.Reject, "store");
            else if (store.Clock.Now - started >= callTimeout) store.Observed(node, persistenceId, WriteFault.Fail, "call timeout");
            return done;
        }, TaskScheduler.Default).Unwrap();
    }

    protected override bool ReceivePluginInternal(object message)
    {
        if (message is not DelayedWrite delayed) return base.ReceivePluginInternal(message);
        if (_node.Dead)
        {
            delayed.Completion.TrySetException(new ChaosJournalException("the node crashed while its write was held back"));
            return true;
        }
        Observe(base.WriteMessagesAsync(delayed.Writes, delayed.Cancellation), delayed.Writes[0].PersistenceId, delayed.Called).ContinueWith(write =>
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

    private sealed record DelayedWrite(List<AtomicWrite> Writes, CancellationToken Cancellation, TimeSpan Called, TaskCompletionSource<IImmutableList<Exception>> Completion)
        : INoSerializationVerificationNeeded;
}
