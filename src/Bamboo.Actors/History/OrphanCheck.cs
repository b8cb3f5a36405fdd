using Akka.Actor;
using Akka.Event;
using static Bamboo.Actors.Protocol.RunnerCommands;

namespace Bamboo.Actors.History;

/// <summary>
/// Wakes every session the read model lists as running, a few at a time, after a single-node restart: each recovers
/// from the journal and settles the run the restart broke (an executor that died with the process, a deadline that
/// passed meanwhile) at once, instead of on the next request that happens to reach it. Stops when it has asked them all.
/// </summary>
internal sealed class OrphanCheck : UntypedActor, IWithTimers
{
    /// <summary>Sessions read from the read model, at most (a bound on memory; more than that were never running at once
    /// on one node).</summary>
    private const int MaxSessions = 100_000;

    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    private readonly IHistoryStore _store;
    private readonly IActorRef _supervisor;
    private readonly int _perTick;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private Queue<string> _pending = new();
    private int _woken;

    public OrphanCheck(IHistoryStore store, IActorRef supervisor, int perSecond)
    {
        _store = store;
        _supervisor = supervisor;
        _perTick = Math.Max(1, perSecond / 10);
    }

    public static Props Props(IHistoryStore store, IActorRef supervisor, int perSecond) =>
        Akka.Actor.Props.Create(() => new OrphanCheck(store, supervisor, perSecond));

    public ITimerScheduler Timers { get; set; } = null!;

    private sealed record Listed(IReadOnlyList<string> Sessions);

    private sealed class Next
    {
        public static readonly Next Instance = new();
    }

    protected override void PreStart() =>
        _store.RunningSessionsAsync(MaxSessions, CancellationToken.None).PipeTo(Self, success: sessions => new Listed(sessions),
            failure: cause => new Status.Failure(cause));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Listed listed:
                _pending = new Queue<string>(listed.Sessions);
                if (_pending.Count == 0)
                {
                    Context.Stop(Self);
                    return;
                }
                _log.Info("Waking {0} sessions the read model lists as running", _pending.Count);
                Timers.StartPeriodicTimer("next", Next.Instance, TimeSpan.Zero, Tick);
                break;
            case Next:
                for (var i = 0; i < _perTick && _pending.TryDequeue(out var sessionId); i++)
                {
                    _supervisor.Tell(new GetStatus(sessionId));
                    _woken++;
                }
                if (_pending.Count == 0) Context.Stop(Self);
                break;
            case Status.Failure failure:
                _log.Warning(failure.Cause, "Could not list the running sessions to wake after the restart");
                Context.Stop(Self);
                break;
            default:
                // The sessions' snapshots: the answer itself is not needed, only the recovery asking caused.
                break;
        }
    }
}
