using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Akka.Persistence.Journal;
using Akka.Persistence.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Bamboo.Actors.Routing;
using Bamboo.Actors.Runners;

namespace Bamboo.Actors.History;

/// <summary>
/// The projection of the journal into the read model: it reads the sessions' facts tagged <see cref="SessionFacts.Tag"/>
/// in journal order (an events-by-tag query from its stored offset), turns each batch into
/// <see cref="HistoryChange"/>s and applies them with the batch's last offset in one transaction. A restart resumes at
/// the stored offset, so no fact is applied twice; a second instance that got in (two clusters formed by mistake) finds
/// the offset moved and reads on from there instead of applying a batch again. Exactly one runs per cluster (a cluster
/// singleton); one per process in local mode.
/// </summary>
/// <remarks>
/// It pulls: one bounded query at a time, the next at once while batches come back full, else after the poll interval.
/// Retention runs between batches, so the read model has one writer. Once it has caught up with the journal after it
/// started, it wakes the sessions it lists as running (local mode, where nothing else would), so a run the last process
/// left behind ends without anyone asking.
/// </remarks>
public sealed class HistoryProjection : UntypedActor, IWithTimers
{
    /// <summary>The offset row's name.</summary>
    public const string Name = "bamboo-session-facts";

    private readonly IHistoryStore _store;
    private readonly HistorySettings _settings;
    private readonly IActorRef? _supervisor;
    private readonly ICurrentEventsByTagQuery _journal;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IMaterializer? _materializer;
    private long _offset = -1;
    private bool _busy;
    private bool _pollDue;
    private bool _pruneDue;
    private bool _caughtUp;
    private int _failures;

    /// <summary>Creates the projection.</summary>
    /// <param name="store">The read model.</param>
    /// <param name="settings">Batch, poll and retention settings.</param>
    /// <param name="supervisor">The runners' supervisor, whose running sessions are woken once the projection caught up
    /// after its start; null when nothing needs waking (sharded sessions are remembered entities).</param>
    public HistoryProjection(IHistoryStore store, HistorySettings settings, IActorRef? supervisor)
    {
        _store = store;
        _settings = settings;
        _supervisor = supervisor;
        _journal = PersistenceQuery.Get(Context.System).ReadJournalFor<ICurrentEventsByTagQuery>(settings.ReadJournal);
    }

    /// <summary>Props of the projection.</summary>
    public static Props Props(IHistoryStore store, HistorySettings settings, IActorRef? supervisor) =>
        Akka.Actor.Props.Create(() => new HistoryProjection(store, settings, supervisor));

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    private sealed record Started(long Offset);

    private sealed record Fetched(IReadOnlyList<EventEnvelope> Envelopes);

    private sealed record Applied(long Offset, int Count);

    private sealed record Failed(Exception Cause);

    private sealed class Poll
    {
        public static readonly Poll Instance = new();
    }

    private sealed class Prune
    {
        public static readonly Prune Instance = new();
    }

    private sealed class Pruned
    {
        public static readonly Pruned Instance = new();
    }

    /// <inheritdoc />
    protected override void PreStart()
    {
        _materializer = Context.Materializer();
        Timers.StartPeriodicTimer("prune", Prune.Instance, _settings.PruneInterval);
        Start();
    }

    private void Start()
    {
        _busy = true;
        StartAsync().PipeTo(Self, failure: cause => new Failed(cause));
    }

    private async Task<Started> StartAsync()
    {
        await _store.InitializeAsync(CancellationToken.None).ConfigureAwait(false);
        return new Started(await _store.ReadOffsetAsync(Name, CancellationToken.None).ConfigureAwait(false));
    }

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Started started:
                _offset = started.Offset;
                _busy = false;
                Fetch();
                break;
            case Poll:
                _pollDue = true;
                Next();
                break;
            case Fetched fetched:
                ApplyBatch(fetched.Envelopes);
                break;
            case Applied applied:
                _failures = 0;
                _offset = applied.Offset;
                _busy = false;
                if (applied.Count >= _settings.BatchSize) _pollDue = true;
                else
                {
                    if (!_caughtUp) CaughtUp();
                    Timers.StartSingleTimer("poll", Poll.Instance, _settings.PollInterval);
                }
                Next();
                break;
            case Prune:
                _pruneDue = true;
                Next();
                break;
            case Pruned:
                _busy = false;
                Next();
                break;
            case Failed { Cause: OffsetConflictException conflict }:
                _log.Warning("{0}; reading on from the stored offset", conflict.Message);
                Start();
                break;
            case Failed failed:
                // The database is unavailable, or a fact could not be read: read the offset again and retry, backing off.
                _failures++;
                var backoff = TimeSpan.FromMilliseconds(Math.Min(10_000, 200 * Math.Pow(2, Math.Min(_failures, 6))));
                _log.Warning(failed.Cause, "The read model projection failed ({0} in a row); retrying in {1}", _failures, backoff);
                _busy = true;
                Timers.StartSingleTimer("restart", Restart.Instance, backoff);
                break;
            case Restart:
                Start();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private sealed class Restart
    {
        public static readonly Restart Instance = new();
    }

    private void Next()
    {
        if (_busy || _offset < 0) return;
        if (_pruneDue)
        {
            _pruneDue = false;
            _busy = true;
            var horizon = DateTimeOffset.UtcNow - _settings.MaxAge;
            _store.PruneAsync(horizon, CancellationToken.None).PipeTo(Self, success: _ => Pruned.Instance, failure: cause => new Failed(cause));
            return;
        }
        if (_pollDue)
        {
            _pollDue = false;
            Fetch();
        }
    }

    private void Fetch()
    {
        _busy = true;
        _journal.CurrentEventsByTag(SessionFacts.Tag, Offset.Sequence(_offset))
            .Take(_settings.BatchSize)
            .RunWith(Sink.Seq<EventEnvelope>(), _materializer!)
            .PipeTo(Self, success: envelopes => new Fetched(envelopes), failure: cause => new Failed(cause));
    }

    private void ApplyBatch(IReadOnlyList<EventEnvelope> envelopes)
    {
        if (envelopes.Count == 0)
        {
            Self.Tell(new Applied(_offset, 0));
            return;
        }
        var changes = new List<HistoryChange>(envelopes.Count);
        var last = _offset;
        foreach (var envelope in envelopes)
        {
            last = Math.Max(last, ((Sequence)envelope.Offset).Value);
            var fact = envelope.Event switch
            {
                RunnerFact<IActorRef> f => f,
                Tagged { Payload: RunnerFact<IActorRef> f } => f,
                _ => null,
            };
            if (fact is null || !envelope.PersistenceId.StartsWith(PersistencePrefix, StringComparison.Ordinal)) continue;
            HistoryChanges.Add(changes, SessionIds.FromEntityId(envelope.PersistenceId[PersistencePrefix.Length..]), fact);
        }
        var expected = _offset;
        var count = envelopes.Count;
        ApplyAsync(changes, expected, last, envelopes).PipeTo(Self, success: () => new Applied(last, count), failure: cause => new Failed(cause));
    }

    private async Task ApplyAsync(List<HistoryChange> changes, long expected, long last, IReadOnlyList<EventEnvelope> envelopes)
    {
        await _store.ApplyAsync(Name, changes, expected, last, CancellationToken.None).ConfigureAwait(false);
        HistoryMetrics.FactsApplied.Add(envelopes.Count);
        if (!HistoryMetrics.Lag.Enabled) return;
        var now = DateTime.UtcNow.Ticks;
        foreach (var envelope in envelopes)
        {
            if (envelope.Timestamp > 0) HistoryMetrics.Lag.Record((now - envelope.Timestamp) / (double)TimeSpan.TicksPerMillisecond);
        }
    }

    private static readonly string PersistencePrefix = DurableSessionRunner.PersistenceIdOf("");

    private void CaughtUp()
    {
        _caughtUp = true;
        if (_supervisor is not null) Context.ActorOf(OrphanCheck.Props(_store, _supervisor, _settings.OrphanCheckRate), "orphan-check");
    }
}
