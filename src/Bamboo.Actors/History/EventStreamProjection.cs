using Akka.Actor;
using Akka.Event;
using Bamboo.Actors.Runners;

namespace Bamboo.Actors.History;

/// <summary>
/// The read model of sessions that are not kept in a SQL journal: the facts sessions publish on this node's EventStream
/// (<see cref="SessionFactRecorded"/>, <c>bamboo.runners.publish-facts</c>) go to the in-memory store as they come. It
/// sees the sessions of its own process only (volatile sessions of a cluster are listed by the node that runs them).
/// </summary>
public sealed class EventStreamProjection : UntypedActor
{
    private readonly IHistoryStore _store;
    private readonly HistorySettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<HistoryChange> _changes = new(1);
    private long _offset;
    private DateTimeOffset _nextPrune;

    /// <summary>Creates the projection into <paramref name="store"/>.</summary>
    public EventStreamProjection(IHistoryStore store, HistorySettings settings)
    {
        _store = store;
        _settings = settings;
    }

    /// <summary>Props of the projection.</summary>
    public static Props Props(IHistoryStore store, HistorySettings settings) =>
        Akka.Actor.Props.Create(() => new EventStreamProjection(store, settings));

    /// <inheritdoc />
    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(SessionFactRecorded));
        _nextPrune = DateTimeOffset.UtcNow + _settings.PruneInterval;
    }

    /// <inheritdoc />
    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        if (message is not SessionFactRecorded recorded)
        {
            Unhandled(message);
            return;
        }
        _changes.Clear();
        HistoryChanges.Add(_changes, recorded.SessionId, recorded.Fact);
        if (_changes.Count == 0) return;
        // The in-memory store applies synchronously: the model is current as soon as this message is handled.
        var applied = _store.ApplyAsync(HistoryProjection.Name, _changes, _offset, _offset + 1, CancellationToken.None);
        if (!applied.IsCompletedSuccessfully)
        {
            _log.Error(applied.Exception, "The in-memory read model could not apply a fact of session {0}", recorded.SessionId);
            return;
        }
        _offset++;
        HistoryMetrics.FactsApplied.Add(1);
        var now = DateTimeOffset.UtcNow;
        if (now < _nextPrune) return;
        _nextPrune = now + _settings.PruneInterval;
        _store.PruneAsync(now - _settings.MaxAge, CancellationToken.None);
    }
}
