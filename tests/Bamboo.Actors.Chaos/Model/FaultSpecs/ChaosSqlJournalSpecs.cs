using Akka.Actor;
using Akka.Persistence;
using Bamboo.Actors.Chaos.History;
using Bamboo.Actors.Chaos.Model.Faults;
using Bamboo.Actors.Chaos.Model.Nodes;
using Bamboo.Actors.TestSupport;

namespace Bamboo.Actors.Chaos.Model.FaultSpecs;

/// <summary>
/// The chaos journal records the write failures it did not inject as well: the checks excuse what a failed write
/// explains, and a failure they cannot see becomes a false alarm (seen in CI: a batch of progress events lost with a
/// write the open circuit breaker refused after a stall). One node on a SQLite file, writers of its own on the
/// sessions' journal plugin.
/// </summary>
public sealed class ChaosSqlJournalSpecs : IAsyncLifetime
{
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(20);

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "bamboo-chaos-journal-" + Guid.NewGuid().ToString("N"));
    private readonly StoreFaults _faults = new(new RunClock(), seed: 1);
    private ModelStore? _store;
    private ModelNode? _node;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        _store = await ModelStore.CreateAsync(null, 1, _folder);
        var profile = new ModelProfile
        {
            // One failed call opens the breaker, and it stays open for the whole spec.
            ExtraHocon = "akka.persistence.journal.sql.circuit-breaker { max-failures = 1, reset-timeout = 10m }",
        };
        var key = $"journal-spec-{Guid.NewGuid():N}";
        var context = NodeContext.Register(key, "n1", _faults.Clock, _faults, new NodeLog(null, _faults.Clock, "n1.1"));
        _node = await ModelNode.StartAsync(1, 1, 0, [], Topology.Single, _store, profile, context);
    }

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.LeaveAsync();
            _node.Context.Unregister();
        }
        if (_store is not null) await _store.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Left for the temp folder's own cleanup.
        }
    }

    [Fact]
    public async Task Should_record_a_write_the_open_circuit_breaker_refused_without_calling_the_journal()
    {
        var first = await RecoveredAsync("breaker-first");
        var second = await RecoveredAsync("breaker-second");

        _faults.StartOutage(TimeSpan.FromMinutes(5));
        Assert.IsType<Failed>(await first.Ask<object>(new Write("during the outage"), Answer));
        _faults.EndOutage();
        var refused = Assert.IsType<Failed>(await second.Ask<object>(new Write("after it, breaker still open"), Answer));

        Assert.Contains(_faults.Injected, fault => fault is { PersistenceId: "breaker-first", Fault: WriteFault.Fail, Cause: "outage" });
        // The journal learns that the breaker refused the write only once its receive of the write returns, and the
        // refusal is on its way to the writer by then (seen in CI: the answer arrived before the record).
        await Eventually.TrueAsync(
            () => _faults.Injected.Any(fault => fault is { PersistenceId: "breaker-second", Fault: WriteFault.Fail, Cause: "breaker open" }),
            Answer, $"the refused write recorded ({refused.Reason})");
    }

    [Fact]
    public async Task Should_record_a_write_the_database_refused()
    {
        // Two writers of one id, both recovered empty: the second write of sequence number 1 breaks the journal's key.
        var first = await RecoveredAsync("two-writers");
        var second = await RecoveredAsync("two-writers");
        Assert.Equal("persisted", await first.Ask<object>(new Write("first"), Answer));
        Assert.IsType<Failed>(await second.Ask<object>(new Write("second"), Answer));

        Assert.Contains(_faults.Injected, fault => fault is { PersistenceId: "two-writers", Cause: "store" });
        Assert.DoesNotContain(_faults.Injected, fault => fault.Cause is "random" or "outage" or "dead");
    }

    [Fact]
    public async Task Should_record_nothing_for_writes_that_succeed()
    {
        var writer = await RecoveredAsync("healthy");
        for (var i = 0; i < 5; i++) Assert.Equal("persisted", await writer.Ask<object>(new Write($"event {i}"), Answer));
        Assert.Empty(_faults.Injected);
    }

    private async Task<IActorRef> RecoveredAsync(string persistenceId)
    {
        var writer = _node!.System.ActorOf(Props.Create(() => new Writer(persistenceId)));
        Assert.Equal("recovered", await writer.Ask<object>(Recovered.Instance, Answer));
        return writer;
    }

    private sealed record Write(string Event);

    private sealed record Failed(string Reason);

    private sealed class Recovered
    {
        public static readonly Recovered Instance = new();
    }

    /// <summary>Persists what it is told on the sessions' journal plugin; answers <c>persisted</c>, or a failure.</summary>
    private sealed class Writer : UntypedPersistentActor
    {
        private IActorRef? _asker;

        public Writer(string persistenceId)
        {
            PersistenceId = persistenceId;
            JournalPluginId = "akka.persistence.journal.sql";
        }

        public override string PersistenceId { get; }

        protected override void OnRecover(object message)
        {
        }

        protected override void OnCommand(object message)
        {
            switch (message)
            {
                case Recovered:
                    Sender.Tell("recovered");
                    break;
                case Write write:
                    _asker = Sender;
                    Persist(write.Event, _ => _asker.Tell("persisted"));
                    break;
            }
        }

        protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
        {
            _asker?.Tell(new Failed(cause.Message));
            base.OnPersistFailure(cause, @event, sequenceNr);
        }

        protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
        {
            _asker?.Tell(new Failed(cause.Message));
            base.OnPersistRejected(cause, @event, sequenceNr);
        }
    }
}
