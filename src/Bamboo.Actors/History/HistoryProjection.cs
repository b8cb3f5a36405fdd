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
/// in journal order (one live events-by-tag stream from its stored offset), groups them into batches (at most
/// <c>batch-size</c> facts, at most <c>batch-interval</c> after the first), turns each into <see cref="HistoryChange"/>s and
/// applies them with the batch's last offset in one transaction. A restart resumes at the stored offset, so no fact is
/// applied twice; a second instance that got in (two clusters formed by mistake) finds the offset moved and reads on from
/// there instead of applying a batch again. Exactly one runs per cluster (a cluster singleton); one per process in local
/// mode.
/// </summary>
/// <remarks>
/// The stream polls the journal itself (the query plugin's <c>refresh-interval</c>) once it has caught up, and reads on
/// at once while there is more. Retention runs between batches (one lock orders it with them), so the read model has one
/// writer. Once the projection has caught up with the journal after it started, it wakes the sessions it lists as
/// running (local mode, where nothing else would), so a run the last process left behind ends without anyone asking.
/// </remarks>
public sealed class HistoryProjection : UntypedActor, IWithTimers
{
    /// <summary>The offset row's name.</summary>
    public const string Name = "bamboo-session-facts";

    private readonly IHistoryStore _store;
    private readonly HistorySettings _settings;
    private readonly IActorRef? _supervisor;
    private readonly IEventsByTagQuery _journal;
    private readonly ICurrentEventsByTagQuery _current;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly SemaphoreSlim _writer = new(1, 1);
    private IMaterializer? _materializer;
    private UniqueKillSwitch? _stream;
    private int _generation;
    private bool _caughtUp;
    private long _catchUpTo = -1;
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
        _journal = PersistenceQuery.Get(Context.System).ReadJournalFor<IEventsByTagQuery>(settings.ReadJournal);
        _current = (ICurrentEventsByTagQuery)_journal;
    }

    /// <summary>Props of the projection.</summary>
    public static Props Props(IHistoryStore store, HistorySettings settings, IActorRef? supervisor) =>
        Akka.Actor.Props.Create(() => new HistoryProjection(store, settings, supervisor));

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    private sealed record Started(int Generation, long Offset, long CatchUpTo);

    private sealed record Applied(int Generation, long Offset);

    private sealed record Failed(int Generation, Exception Cause);

    private sealed class Prune
    {
        public static readonly Prune Instance = new();
    }

    private sealed class Restart
    {
        public static readonly Restart Instance = new();
    }

    /// <inheritdoc />
    protected override void PreStart()
    {
        _materializer = Context.Materializer();
        Timers.StartPeriodicTimer("prune", Prune.Instance, _settings.PruneInterval);
        Start();
    }

    /// <inheritdoc />
    protected override void PostStop() => _stream?.Shutdown();

    private void Start()
    {
        var generation = ++_generation;
        StartAsync(generation, needsTarget: !_caughtUp && _supervisor is not null, _materializer!)
            .PipeTo(Self, failure: cause => new Failed(generation, cause));
    }

    /// <summary>Reads the stored offset, and (the first time) the offset of the journal's last tagged fact: once the
    /// projection has applied that one, it has caught up with what the last process left.</summary>
    private async Task<Started> StartAsync(int generation, bool needsTarget, IMaterializer materializer)
    {
        await _store.InitializeAsync(CancellationToken.None).ConfigureAwait(false);
        var offset = await _store.ReadOffsetAsync(Name, CancellationToken.None).ConfigureAwait(false);
        var target = !needsTarget
            ? 0
            : await _current.CurrentEventsByTag(SessionFacts.Tag, Offset.Sequence(offset))
                .Select(envelope => ((Sequence)envelope.Offset).Value)
                .RunWith(Sink.LastOrDefault<long>(), materializer).ConfigureAwait(false);
        return new Started(generation, offset, target);
    }

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Started started when started.Generation == _generation:
                if (!_caughtUp) _catchUpTo = Math.Max(_catchUpTo, started.CatchUpTo);
                if (!_caughtUp && started.Offset >= _catchUpTo) CaughtUp();
                Run(started.Generation, started.Offset);
                break;
            case Applied applied when applied.Generation == _generation:
                _failures = 0;
                if (!_caughtUp && applied.Offset >= _catchUpTo) CaughtUp();
                break;
            case Prune:
                PruneAsync().PipeTo(Self, success: () => Status.Success.Instance, failure: cause => new Failed(-1, cause));
                break;
            case Failed { Generation: -1 } pruneFailed:
                _log.Warning(pruneFailed.Cause, "Read model retention failed; it runs again at the next interval");
                break;
            case Failed failed when failed.Generation == _generation:
                _stream?.Shutdown();
                _stream = null;
                _generation++;
                if (failed.Cause is OffsetConflictException conflict)
                {
                    _log.Warning("{0}; reading on from the stored offset", conflict.Message);
                    Start();
                    break;
                }
                // The database is unavailable, or a fact could not be read: read the offset again and retry, backing off.
                _failures++;
                var backoff = TimeSpan.FromMilliseconds(Math.Min(10_000, 200 * Math.Pow(2, Math.Min(_failures, 6))));
                _log.Warning(failed.Cause, "The read model projection failed ({0} in a row); retrying in {1}", _failures, backoff);
                Timers.StartSingleTimer("restart", Restart.Instance, backoff);
                break;
            case Restart:
                Start();
                break;
            case Started or Applied or Failed or Status.Success:
                // From a stream this actor has since replaced, or a retention pass that ended.
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>Runs the stream of generation <paramref name="generation"/> from <paramref name="offset"/>: batches applied
    /// one at a time, each moving the stored offset from the last one's.</summary>
    private void Run(int generation, long offset)
    {
        var self = Self;
        var expected = offset;
        var (killSwitch, done) = _journal.EventsByTag(SessionFacts.Tag, Offset.Sequence(offset))
            .GroupedWithin(_settings.BatchSize, _settings.BatchInterval)
            .SelectAsync(1, async envelopes =>
            {
                var batch = envelopes as IReadOnlyList<EventEnvelope> ?? envelopes.ToList();
                var last = await ApplyAsync(batch, expected).ConfigureAwait(false);
                expected = last;
                self.Tell(new Applied(generation, last));
                return last;
            })
            .ViaMaterialized(KillSwitches.Single<long>(), Keep.Right)
            .ToMaterialized(Sink.Ignore<long>(), Keep.Both)
            .Run(_materializer!);
        _stream = killSwitch;
        done.ContinueWith(task => self.Tell(new Failed(generation,
                task.Exception?.GetBaseException() ?? new InvalidOperationException("the journal's event stream ended"))),
            TaskContinuationOptions.ExecuteSynchronously);
    }

    /// <summary>Applies one batch with its last offset; returns that offset.</summary>
    private async Task<long> ApplyAsync(IReadOnlyList<EventEnvelope> envelopes, long expected)
    {
        var changes = new List<HistoryChange>(envelopes.Count);
        var last = expected;
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
        await _writer.WaitAsync().ConfigureAwait(false);
        try
        {
            await _store.ApplyAsync(Name, changes, expected, last, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _writer.Release();
        }
        HistoryMetrics.FactsApplied.Add(envelopes.Count);
        if (!HistoryMetrics.Lag.Enabled) return last;
        var now = DateTime.UtcNow.Ticks;
        foreach (var envelope in envelopes)
        {
            if (envelope.Timestamp > 0) HistoryMetrics.Lag.Record((now - envelope.Timestamp) / (double)TimeSpan.TicksPerMillisecond);
        }
        return last;
    }

    /// <summary>Retention, between batches (never at the same time as one).</summary>
    private async Task PruneAsync()
    {
        await _writer.WaitAsync().ConfigureAwait(false);
        try
        {
            await _store.PruneAsync(DateTimeOffset.UtcNow - _settings.MaxAge, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _writer.Release();
        }
    }

    private static readonly string PersistencePrefix = DurableSessionRunner.PersistenceIdOf("");

    private void CaughtUp()
    {
        _caughtUp = true;
        if (_supervisor is not null) Context.ActorOf(OrphanCheck.Props(_store, _supervisor, _settings.OrphanCheckRate), "orphan-check");
    }
}
