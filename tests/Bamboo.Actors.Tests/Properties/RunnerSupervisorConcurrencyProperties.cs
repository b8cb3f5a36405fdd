using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using CsCheck;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Properties;

/// <summary>
/// Random command lists for a few sessions, sent concurrently by many callers to a real <see cref="RunnerSupervisor"/>.
/// After a final drain, the EventStream and the replies must tell one consistent story per session: runs never overlap,
/// sequences have no gaps, every run ends exactly once, and every reply agrees with the events.
/// </summary>
public sealed class RunnerSupervisorConcurrencyProperties : Akka.TestKit.Xunit2.TestKit
{
    private const int Sessions = 3;
    private const int Workers = 8;
    private const int MaxQueueLength = 2;
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);

    private static readonly Config Quiet = ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.test.single-expect-default = 10s");

    private readonly IActorRef _supervisor;
    private readonly Coverage _coverage = new();
    private int _iteration;

    public RunnerSupervisorConcurrencyProperties(ITestOutputHelper output) : base(Quiet, output: output)
    {
        _supervisor = Sys.ActorOf(RunnerSupervisor.Props(RunnerSettings.Default with { MaxQueueLength = MaxQueueLength }), "runners");
    }

    public enum Kind { Reserve, FinalizeOwn, FinalizeLatest, CancelActive, CancelOwn, CancelQueued, Publish, GetStatus }

    public sealed record Op(int Session, Kind Kind, ConflictPolicy Policy, int Outcome, int Pick)
    {
        public override string ToString() => $"{Kind}(s{Session}, {Policy}, outcome {Outcome}, pick {Pick})";
    }

    private static readonly Gen<Op> GenOp = Gen.Select(
        Gen.Int[0, Sessions - 1],
        Gen.Frequency((5, Kind.Reserve), (3, Kind.FinalizeOwn), (3, Kind.FinalizeLatest), (1, Kind.CancelActive),
            (1, Kind.CancelOwn), (2, Kind.CancelQueued), (2, Kind.Publish), (1, Kind.GetStatus)),
        Gen.Enum<ConflictPolicy>(),
        Gen.Int[0, 2],
        Gen.Frequency((3, Gen.Const(0)), (2, Gen.Int[1, 5])),
        (session, kind, policy, outcome, pick) => new Op(session, kind, policy, outcome, pick));

    private static readonly Gen<Op[][]> GenPlan = GenOp.Array[3, 15].Array[Workers];

    [Fact]
    public async Task Should_keep_every_session_consistent_under_concurrent_callers()
    {
        await GenPlan.SampleAsync(RunPlan, iter: 40, threads: 1, print: Print);

        // The plans must reach the interesting interleavings, or the property proves little.
        var seen = _coverage.Snapshot();
        Output?.WriteLine(string.Join(", ", seen.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}")));
        var expected = new[]
        {
            nameof(Reserved), nameof(AlreadyRunning), nameof(Queued), nameof(Rejected), nameof(Finalized), nameof(StaleRun),
            nameof(AlreadyFinalized), nameof(CancelRequested), nameof(NothingToCancel), nameof(Published), nameof(RunnerSnapshot),
            "notified Reserved", "notified Rejected",
        };
        Assert.All(expected, kind => Assert.True(seen.ContainsKey(kind), $"never saw {kind}"));
    }

    private static string Print(Op[][] plan) =>
        string.Join(Environment.NewLine, plan.Select((ops, worker) => $"worker {worker}: {string.Join(", ", ops.Select(o => o.ToString()))}"));

    private async Task RunPlan(Op[][] plan)
    {
        var iteration = Interlocked.Increment(ref _iteration);
        var sessions = Enumerable.Range(0, Sessions).Select(s => $"c{iteration}-s{s}").ToArray();
        var journal = new Journal();
        var events = CreateTestProbe();
        Sys.EventStream.Subscribe(events.Ref, typeof(AgentEvent));
        try
        {
            var workers = plan.Select(ops => new Worker(CreateTestProbe(), sessions)).ToArray();
            await Task.WhenAll(workers.Select((worker, i) => Task.Run(() => worker.Run(_supervisor, plan[i], journal))));

            var lastSequences = new Dictionary<string, long>();
            foreach (var session in sessions) lastSequences[session] = await Drain(session, journal);
            foreach (var worker in workers) await worker.CollectNotifications(journal);

            var log = await CollectEvents(events, lastSequences);
            foreach (var session in sessions) Verify(session, log[session], lastSequences[session], journal);
            _coverage.Add(journal);
        }
        finally
        {
            Sys.EventStream.Unsubscribe(events.Ref);
        }
    }

    /// <summary>Cancels and finalizes whatever runs in <paramref name="session"/>, including runs that start from
    /// its queue, until it is idle; returns its last event sequence.</summary>
    private async Task<long> Drain(string session, Journal journal)
    {
        var probe = CreateTestProbe();
        for (var round = 0; round <= MaxQueueLength + 1; round++)
        {
            var status = await Ask<RunnerSnapshot>(probe, new GetStatus(session));
            if (status.Status != RunStatus.Running)
            {
                Assert.Equal(0, status.QueueLength);
                return status.LastSequence;
            }
            var cancelled = await Ask<CancelRequested>(probe, new Cancel(session));
            Assert.Equal(status.RunId, cancelled.RunId);
            var finalize = new Finalize(session, status.RunId!, RunOutcome.Cancelled);
            var finalized = await Ask<Finalized>(probe, finalize);
            Assert.Equal(new Finalized(session, status.RunId!, RunStatus.Cancelled), finalized);
            journal.Reply(session, finalize, finalized);
        }
        Assert.Fail($"session {session} is still running after draining its queue");
        return 0;
    }

    private async Task<T> Ask<T>(TestProbe probe, IRunnerCommand command)
    {
        _supervisor.Tell(command, probe.Ref);
        return await probe.ExpectMsgAsync<T>(ReplyTimeout);
    }

    /// <summary>Reads the EventStream until every session's events up to its last sequence have arrived. Each session
    /// actor publishes before it replies, so they are all on their way once the drain has read the last sequence.</summary>
    private static async Task<Dictionary<string, List<AgentEvent>>> CollectEvents(TestProbe events, Dictionary<string, long> lastSequences)
    {
        var log = lastSequences.Keys.ToDictionary(s => s, _ => new List<AgentEvent>());
        var missing = lastSequences.Values.Sum();
        while (missing > 0)
        {
            var evt = await events.ExpectMsgAsync<AgentEvent>(ReplyTimeout);
            if (!log.TryGetValue(evt.SessionId, out var sessionLog)) continue;
            sessionLog.Add(evt);
            missing--;
        }
        return log;
    }

    private static void Verify(string session, List<AgentEvent> events, long lastSequence, Journal journal)
    {
        // Sequences: exactly 1..last, each once.
        var ordered = events.OrderBy(e => e.Sequence).ToList();
        Assert.Equal(Enumerable.Range(1, (int)lastSequence).Select(n => (long)n), ordered.Select(e => e.Sequence));

        // Runs never overlap: ExecutionStarted and ExecutionFinished of started runs strictly alternate with the same run
        // id; the only other finishes are of queued runs withdrawn before they started.
        var started = new Dictionary<string, ExecutionStarted>();
        var finished = new Dictionary<string, ExecutionFinished>();
        var queued = new HashSet<string>();
        var cancelling = new HashSet<string>();
        string? running = null;
        foreach (var evt in ordered)
        {
            switch (evt)
            {
                case ExecutionStarted start:
                    Assert.True(running is null, $"{session}: {evt.RunId} started at {evt.Sequence} while {running} was running");
                    Assert.True(started.TryAdd(evt.RunId, start), $"{session}: {evt.RunId} started twice");
                    running = evt.RunId;
                    break;
                case ExecutionFinished finish:
                    Assert.True(finished.TryAdd(evt.RunId, finish), $"{session}: {evt.RunId} finished twice");
                    if (evt.RunId == running) running = null;
                    else Assert.True(!started.ContainsKey(evt.RunId) && queued.Contains(evt.RunId),
                        $"{session}: {evt.RunId} finished at {evt.Sequence} while {running} was running");
                    break;
                case RunQueued:
                    Assert.True(running is not null, $"{session}: {evt.RunId} queued behind no run");
                    Assert.True(queued.Add(evt.RunId), $"{session}: {evt.RunId} queued twice");
                    break;
                case RunCancelling:
                    Assert.True(evt.RunId == running, $"{session}: cancelling {evt.RunId} while {running} was running");
                    cancelling.Add(evt.RunId);
                    break;
                default:
                    Assert.True(evt.RunId == running, $"{session}: {evt.GetType().Name} of {evt.RunId} while {running} was running");
                    break;
            }
        }
        Assert.Null(running);
        Assert.All(started.Keys, runId => Assert.True(finished.ContainsKey(runId), $"{session}: {runId} never finished"));
        Assert.All(queued, runId => Assert.True(finished.ContainsKey(runId), $"{session}: queued {runId} never finished"));

        foreach (var (command, reply) in journal.RepliesOf(session))
        {
            switch (reply)
            {
                case Reserved reserved:
                    Assert.True(started.TryGetValue(reserved.RunId, out var start), $"{session}: reserved {reserved.RunId} never started");
                    Assert.Equal(reserved.StartedAt, start.Timestamp);
                    break;
                case Queued q:
                    Assert.Contains(q.RunId, queued);
                    break;
                case AlreadyRunning already:
                    Assert.True(started.ContainsKey(already.RunId), $"{session}: AlreadyRunning names {already.RunId}, which never started");
                    break;
                case Finalized done:
                    var finish = finished[done.RunId];
                    Assert.Equal((finish.Status, finish.Error), (done.Status, done.Error));
                    Assert.True(started.ContainsKey(done.RunId), $"{session}: finalized {done.RunId}, which never started");
                    break;
                case AlreadyFinalized again:
                    Assert.Equal(finished[again.RunId].Status, again.Status);
                    break;
                case Published published:
                    var delta = Assert.IsType<TokenDelta>(ordered[(int)published.Sequence - 1]);
                    Assert.Equal(published.RunId, delta.RunId);
                    Assert.Equal(((Publish)command).Event, delta with { SessionId = "", RunId = "", Sequence = 0, Timestamp = default });
                    if (published.CancelRequested) Assert.Contains(published.RunId, cancelling);
                    break;
                case CancelRequested cancel:
                    // The active run was asked to stop, or a queued run was withdrawn before it started.
                    Assert.True(cancelling.Contains(cancel.RunId)
                        || (!started.ContainsKey(cancel.RunId) && finished[cancel.RunId].Status == RunStatus.Cancelled),
                        $"{session}: CancelRequested({cancel.RunId}) left no trace");
                    break;
            }
        }

        // Every run a caller was told about ends exactly once; a queued run's reserver hears once whether it started.
        var announced = journal.RepliesOf(session).Select(r => r.Reply)
            .Select(reply => reply switch { Reserved r => r.RunId, Queued q => q.RunId, _ => null })
            .OfType<string>()
            .ToHashSet();
        Assert.All(announced, runId => Assert.True(finished.ContainsKey(runId), $"{session}: {runId} never finished"));
        var notified = journal.NotificationsOf(session);
        Assert.Equal(queued.Order(), notified.Select(n => NotifiedRunId(n)).Order());
        foreach (var notification in notified)
        {
            switch (notification)
            {
                case Reserved reserved:
                    Assert.True(started.TryGetValue(reserved.RunId, out var start), $"{session}: notified start of {reserved.RunId}, which never started");
                    Assert.Equal(reserved.StartedAt, start.Timestamp);
                    break;
                case Rejected rejected:
                    Assert.Equal("cancelled", rejected.Reason);
                    Assert.False(started.ContainsKey(rejected.RunId!), $"{session}: {rejected.RunId} rejected after it started");
                    Assert.Equal(RunStatus.Cancelled, finished[rejected.RunId!].Status);
                    break;
            }
        }
    }

    private static string NotifiedRunId(IRunnerReply notification) => notification switch
    {
        Reserved r => r.RunId,
        Rejected { RunId: { } runId } => runId,
        _ => throw new InvalidOperationException($"not a notification: {notification}"),
    };

    /// <summary>How often each reply and notification kind occurred over all plans.</summary>
    private sealed class Coverage
    {
        private readonly Dictionary<string, int> _counts = [];

        public void Add(Journal journal)
        {
            foreach (var reply in journal.AllReplies()) Count(reply.GetType().Name);
            foreach (var notification in journal.AllNotifications()) Count($"notified {notification.GetType().Name}");
        }

        public Dictionary<string, int> Snapshot() => new(_counts);

        private void Count(string kind) => _counts[kind] = _counts.GetValueOrDefault(kind) + 1;
    }

    /// <summary>Replies and notifications received by every caller, by session.</summary>
    private sealed class Journal
    {
        private readonly object _gate = new();
        private readonly List<(string Session, IRunnerCommand Command, IRunnerReply Reply)> _replies = [];
        private readonly List<(string Session, IRunnerReply Notification)> _notifications = [];

        public void Reply(string session, IRunnerCommand command, IRunnerReply reply)
        {
            lock (_gate) _replies.Add((session, command, reply));
        }

        public void Notification(string session, IRunnerReply notification)
        {
            lock (_gate) _notifications.Add((session, notification));
        }

        public List<(IRunnerCommand Command, IRunnerReply Reply)> RepliesOf(string session)
        {
            lock (_gate) return _replies.Where(r => r.Session == session).Select(r => (r.Command, r.Reply)).ToList();
        }

        public List<IRunnerReply> AllReplies()
        {
            lock (_gate) return _replies.Select(r => r.Reply).ToList();
        }

        public List<IRunnerReply> AllNotifications()
        {
            lock (_gate) return _notifications.Select(n => n.Notification).ToList();
        }

        public List<IRunnerReply> NotificationsOf(string session)
        {
            lock (_gate) return _notifications.Where(n => n.Session == session).Select(n => n.Notification).ToList();
        }
    }

    /// <summary>One caller: sends its commands one at a time, each after the previous reply, remembering the run ids it
    /// learns. Its queued runs' later <see cref="Reserved"/>/<see cref="Rejected"/> may arrive between replies.</summary>
    private sealed class Worker(TestProbe probe, string[] sessions)
    {
        private readonly Dictionary<string, List<string>> _own = sessions.ToDictionary(s => s, _ => new List<string>());
        private readonly Dictionary<string, string?> _latest = sessions.ToDictionary(s => s, _ => (string?)null);
        private readonly Dictionary<string, string> _pending = []; // queued run id -> session

        public async Task Run(IActorRef supervisor, Op[] ops, Journal journal)
        {
            foreach (var op in ops)
            {
                var session = sessions[op.Session];
                var command = Command(op, session);
                supervisor.Tell(command, probe.Ref);
                var reply = await NextReply(journal);
                Assert.True(Allowed(command, reply), $"{command} got {reply}");
                journal.Reply(session, command, reply);
                Learn(session, reply);
            }
        }

        /// <summary>Receives the notifications still owed for this caller's queued runs; nothing else may arrive.</summary>
        public async Task CollectNotifications(Journal journal)
        {
            while (_pending.Count > 0)
            {
                var message = await probe.ExpectMsgAsync<object>(ReplyTimeout);
                Assert.True(TryTakeNotification(message, journal), $"unexpected {message} while waiting for the fate of queued runs");
            }
            // Every session is drained and has answered its last command, so anything still owed is already here.
            Assert.False(probe.HasMessages, "a caller received more than its replies and one notification per queued run");
        }

        private IRunnerCommand Command(Op op, string session)
        {
            var own = _own[session];
            var ownRunId = own.Count > 0 ? own[own.Count - 1 - op.Pick % own.Count] : "run-unknown";
            var latest = _latest[session] ?? ownRunId;
            var waiting = _pending.Where(p => p.Value == session).Select(p => p.Key).ToList();
            var queuedRunId = waiting.Count > 0 ? waiting[op.Pick % waiting.Count] : ownRunId;
            var outcome = op.Outcome switch { 0 => RunOutcome.Completed, 1 => RunOutcome.Cancelled, _ => RunOutcome.Failed($"failed {op.Pick}") };
            return op.Kind switch
            {
                Kind.Reserve => new Reserve(session, op.Policy),
                Kind.FinalizeOwn => new Finalize(session, ownRunId, outcome),
                Kind.FinalizeLatest => new Finalize(session, latest, outcome),
                Kind.CancelActive => new Cancel(session),
                Kind.CancelOwn => new Cancel(session, ownRunId, "caller"),
                Kind.CancelQueued => new Cancel(session, queuedRunId),
                Kind.Publish => new Publish(session, op.Pick % 2 == 0 ? latest : ownRunId, new TokenDelta($"d{op.Pick}"), Acknowledge: true),
                _ => new GetStatus(session),
            };
        }

        private async Task<IRunnerReply> NextReply(Journal journal)
        {
            while (true)
            {
                var message = await probe.ExpectMsgAsync<object>(ReplyTimeout);
                if (TryTakeNotification(message, journal)) continue;
                return Assert.IsAssignableFrom<IRunnerReply>(message);
            }
        }

        private bool TryTakeNotification(object message, Journal journal)
        {
            var runId = message switch
            {
                Reserved r => r.RunId,
                Rejected { RunId: { } id } => id,
                _ => null,
            };
            if (runId is null || !_pending.Remove(runId, out var session)) return false;
            journal.Notification(session, (IRunnerReply)message);
            if (message is Reserved) _latest[session] = runId;
            return true;
        }

        private void Learn(string session, IRunnerReply reply)
        {
            switch (reply)
            {
                case Reserved r:
                    _own[session].Add(r.RunId);
                    _latest[session] = r.RunId;
                    break;
                case Queued q:
                    _own[session].Add(q.RunId);
                    _pending[q.RunId] = session;
                    break;
                case AlreadyRunning a:
                    _latest[session] = a.RunId;
                    break;
                case StaleRun { CurrentRunId: { } current }:
                    _latest[session] = current;
                    break;
                case RunnerSnapshot { RunId: { } current }:
                    _latest[session] = current;
                    break;
            }
        }

        private static bool Allowed(IRunnerCommand command, IRunnerReply reply) => (command, reply) switch
        {
            (_, IWithSessionId r) when r.SessionId != command.SessionId => false,
            (Reserve { OnConflict: ConflictPolicy.Reject }, Reserved or AlreadyRunning) => true,
            (Reserve { OnConflict: ConflictPolicy.Interrupt }, Reserved) => true,
            (Reserve { OnConflict: ConflictPolicy.Enqueue }, Reserved or Queued { Position: >= 1 and <= MaxQueueLength }) => true,
            (Reserve { OnConflict: ConflictPolicy.Enqueue }, Rejected { Reason: "queue_full", RunId: null }) => true,
            (Finalize f, Finalized r) => r.RunId == f.RunId && r.Status == f.Outcome.Status && r.Error == f.Outcome.Error,
            (Finalize f, StaleRun r) => r.RunId == f.RunId && r.CurrentRunId != f.RunId,
            (Finalize f, AlreadyFinalized r) => r.RunId == f.RunId && r.Status.IsTerminal(),
            (Cancel { RunId: null }, CancelRequested or NothingToCancel) => true,
            (Cancel c, CancelRequested r) => r.RunId == c.RunId,
            (Cancel, NothingToCancel) => true,
            (Cancel c, StaleRun r) => r.RunId == c.RunId && r.CurrentRunId != c.RunId,
            (Publish p, Published r) => r.RunId == p.RunId && r.Sequence > 0,
            (Publish p, StaleRun r) => r.RunId == p.RunId,
            (GetStatus, RunnerSnapshot) => true,
            _ => false,
        };
    }
}
