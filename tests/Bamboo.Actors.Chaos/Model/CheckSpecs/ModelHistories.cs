using Bamboo.Actors.Chaos.History;
using Bamboo.Actors.Chaos.Model.Faults;
using Bamboo.Actors.Chaos.Model.Nodes;
using Bamboo.Actors.Chaos.Model.Records;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Chaos.Model.CheckSpecs;

/// <summary>Hand-made model records for the check specs: operations with given intervals (in seconds) and answers.</summary>
internal sealed class ModelHistories
{
    public const string Session = "s";
    private readonly List<ModelEntry> _entries = [];
    private readonly List<SubscriberLog> _subscribers = [];
    private readonly List<ModelFault> _faults = [];
    private readonly List<InjectedFault> _injected = [];
    private readonly List<LostLease> _lostLeases = [];
    private readonly List<RunView> _runs = [];
    private readonly Dictionary<string, TruthLog> _truth = [];
    private readonly RunClock _clock = new();

    public static TimeSpan At(double seconds) => TimeSpan.FromSeconds(seconds);

    /// <summary>A runner's stamp for a time on the timeline.</summary>
    public DateTimeOffset Stamp(double seconds) => _clock.StartedAt + At(seconds);

    public ModelEntry Op(OpKind kind, double start, double end, IRunnerReply? reply, Outcome outcome = Outcome.Replied, string? runId = null,
        string purpose = "current", string args = "", string session = Session) =>
        Add(new ModelEntry
        {
            Id = _entries.Count + 1, Kind = kind, SessionId = session, RunId = runId ?? reply switch { Reserved r => r.RunId, _ => null },
            Purpose = purpose, Via = "n1.1", Args = args, Start = At(start), End = At(end), Outcome = outcome, Reply = reply,
        });

    public ModelEntry Reserved(string runId, double start, double end, double? startedAt = null) =>
        Op(OpKind.Reserve, start, end, new Reserved(Session, runId, Stamp(startedAt ?? end)), purpose: "lease");

    public ModelEntry Running(string runId, double start, double end, bool cancelRequested = false, long lastSequence = 1) =>
        Op(OpKind.GetStatus, start, end, Snapshot(RunStatus.Running, runId, cancelRequested, lastSequence), purpose: "read");

    public ModelEntry Ended(string runId, RunStatus status, double start, double end, string? error = null, double? endedAt = null) =>
        Op(OpKind.GetStatus, start, end, Snapshot(status, runId, false, 1, error, endedAt), purpose: "read");

    public ModelEntry Finalized(string runId, RunStatus status, double start, double end) =>
        Op(OpKind.Finalize, start, end, new Finalized(Session, runId, status), runId: runId);

    public ModelEntry Notice(string purpose, double at, IRunnerReply? reply = null) =>
        Op(OpKind.Notice, at, at, reply, reply is null ? Outcome.Done : Outcome.Replied, purpose: purpose);

    public RunnerSnapshot Snapshot(RunStatus status, string runId, bool cancelRequested = false, long lastSequence = 1, string? error = null,
        double? completedAt = null) =>
        new(Session, status, runId, Stamp(0), completedAt is { } c ? Stamp(c) : null, error, null, 0, null, null, cancelRequested, 0, 0, lastSequence, null);

    public void Run(string runId, double activeAt, double deadline, ExecutorKind kind = ExecutorKind.Actor, double? diedAt = null, string? cause = null,
        double? signalledAt = null, bool over = false) =>
        _runs.Add(new RunView(Session, runId, kind, "n1.1", ConflictPolicy.Reject, At(deadline), null, 0, At(activeAt), Stamp(activeAt), false, over,
            null, diedAt is { } d ? At(d) : null, cause, signalledAt is { } s ? At(s) : null, null, null, false, false));

    public SubscriberLog Subscriber(long? cursor, long liveFrom, params (double At, AgentEvent Event)[] events)
    {
        var log = new SubscriberLog(_subscribers.Count + 1, Session, "n1.1", SubscriberKind.Library, cursor, At(0)) { LiveFrom = liveFrom };
        foreach (var (at, evt) in events) log.Add(At(at), evt);
        _subscribers.Add(log);
        return log;
    }

    public AgentEvent Event(AgentEvent evt, string runId, long sequence, double stamped) =>
        evt with { SessionId = Session, RunId = runId, Sequence = sequence, Timestamp = Stamp(stamped) };

    public void Truth(long last, params AgentEvent[] events) => _truth[Session] = new TruthLog(Session, last, events, null, Complete: true);

    public ModelFault Fault(ModelFaultKind kind, double at, double healed)
    {
        var fault = new ModelFault(kind, kind == ModelFaultKind.Outage ? 0 : 2, At(at)) { HealedAt = At(healed) };
        _faults.Add(fault);
        return fault;
    }

    public void Injected(double at, WriteFault fault) =>
        _injected.Add(new InjectedFault(At(at), "n1", $"bamboo-session-{Session}", fault, TimeSpan.Zero, "random"));

    public void LeaseLost(double at) =>
        _lostLeases.Add(new LostLease(At(at), "n1", Checks.CursorReplayCheck.ShardLeaseName(Routing.SessionIds.ToEntityId(Session))));

    public ModelRecord Record(GaugeReading? gauge = null, double end = 100) => new()
    {
        Options = new ModelOptions { Seed = 1, Operations = 1 },
        Profile = new ModelProfile(),
        Store = "hand-made",
        Entries = _entries,
        Subscribers = _subscribers,
        Faults = _faults,
        Injected = _injected,
        LostLeases = _lostLeases,
        Runs = _runs,
        FinalReads = [],
        Truth = _truth,
        SubscriberEnds = [],
        AfterClose = [],
        Gauge = gauge,
        LoadStarted = TimeSpan.Zero,
        LoadStopped = At(end),
        QuietFrom = At(end),
        ReadsFrom = At(end),
        Ended = At(end),
        Clock = _clock,
        LogWarnings = 0,
        LogErrors = 0,
        LogFolder = null,
    };

    private ModelEntry Add(ModelEntry entry)
    {
        _entries.Add(entry);
        return entry;
    }
}
