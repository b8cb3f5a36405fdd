using System.Collections.Concurrent;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using CsCheck;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Properties;

/// <summary>
/// Random input sequences applied to <see cref="RunnerState{TRef}"/> and to a small, independent reference model of the
/// runner (status, current run, queue, cancellation). Every reply, event, notification and executor signal must match
/// the model, and the runner's invariants must hold after every step and after a final drain.
/// </summary>
public sealed class RunnerStateModelProperties(ITestOutputHelper output)
{
    private const string Session = "s1";
    private const int MaxQueueLength = 3;
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly RunnerSettings Settings = RunnerSettings.Default with { MaxQueueLength = MaxQueueLength };
    private static readonly string?[] Executors = [null, "e0", "e1", "e2"];
    private static readonly string?[] Reservers = [null, "w0", "w1"];

    public enum Kind { Reserve, Finalize, Cancel, Publish, ExecutorTerminated, DeadlinePassed, GraceExpired }

    /// <summary>Which run id an input names, resolved against the model when the input is applied.</summary>
    public enum Target { ActiveOrNull, Current, Queued, Ended, Unknown }

    public sealed record Op(Kind Kind, ConflictPolicy Policy, Target Target, int Pick, int Executor, int Reserver, int Outcome, int Event, bool Ack);

    private static readonly Gen<Op> GenOp = Gen.Select(
        Gen.Frequency((6, Kind.Reserve), (4, Kind.Finalize), (3, Kind.Cancel), (3, Kind.Publish),
            (1, Kind.ExecutorTerminated), (1, Kind.DeadlinePassed), (1, Kind.GraceExpired)),
        Gen.Enum<ConflictPolicy>(),
        Gen.Frequency((3, Target.Current), (2, Target.ActiveOrNull), (2, Target.Queued), (2, Target.Ended), (1, Target.Unknown)),
        Gen.Int[0, 7],
        Gen.Int[0, Executors.Length - 1],
        Gen.Int[0, Reservers.Length - 1],
        Gen.Int[0, 2],
        Gen.Int[0, 5],
        Gen.Bool,
        (kind, policy, target, pick, executor, reserver, outcome, evt, ack) =>
            new Op(kind, policy, target, pick, executor, reserver, outcome, evt, ack));

    private static readonly Gen<Op[]> GenOps = GenOp.Array[1, 80];

    [Fact]
    public void Should_agree_with_the_reference_model_on_every_reply_and_effect()
    {
        var replyKinds = new ConcurrentDictionary<string, int>();

        GenOps.Sample(ops => Run(ops, replyKinds), iter: 1500, print: Print);

        output.WriteLine(string.Join(", ", replyKinds.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}")));
        // The generator must reach every reply the runner can give, or the property proves little.
        var expected = new[]
        {
            nameof(Reserved), nameof(AlreadyRunning), nameof(Queued), "Rejected(queue_full)", nameof(Finalized),
            nameof(StaleRun), nameof(AlreadyFinalized), nameof(CancelRequested), nameof(NothingToCancel),
            nameof(Published), nameof(InvalidCommand), "Notify(Reserved)", "Notify(Rejected)", "SignalCancel",
        };
        Assert.All(expected, kind => Assert.True(replyKinds.ContainsKey(kind), $"never produced {kind}"));
    }

    private static string Print(Op[] ops) => string.Join(Environment.NewLine, ops.Select((op, i) => $"{i}: {op}"));

    private static void Run(Op[] ops, ConcurrentDictionary<string, int> replyKinds)
    {
        var issued = 0;
        var state = new RunnerState<string>(Session, Settings, () => $"run-{++issued}", durable: true);
        var facts = new List<RunnerFact<string>>();
        var model = new Model();
        var log = new List<AgentEvent>();
        var watched = new HashSet<string>();

        for (var step = 0; step < ops.Length; step++)
        {
            var now = T0.AddSeconds(step);
            var (decision, expectedReply) = Apply(ops[step], state, model, now);
            Check(step, ops[step].ToString(), decision, expectedReply, state, model, now, log, watched, replyKinds);
            facts.AddRange(decision.Facts);
            // Executors' events still waiting for their batch are recorded now, as the batch timer would.
            facts.AddRange(state.FlushEvents().Facts);
            AssertFactsRebuild(state, facts);
        }

        // Drain: finalize whatever runs, including the runs that start from the queue.
        for (var step = ops.Length; state.Status == RunStatus.Running; step++)
        {
            Assert.True(step < ops.Length + MaxQueueLength + 2, "drain does not terminate");
            var now = T0.AddSeconds(step);
            var runId = state.RunId!;
            var expectedReply = model.Finalize(runId, RunOutcome.Completed, now);
            Check(step, $"drain {runId}", state.Finalize(runId, RunOutcome.Completed, now), expectedReply, state, model, now, log,
                watched, replyKinds);
        }

        Assert.True(state.IsIdle);
        Assert.Empty(watched);
        AssertLifecycle(log);
    }

    /// <summary>Replaying every recorded fact into a fresh state rebuilds exactly the durable state: what recovery relies on.</summary>
    private static void AssertFactsRebuild(RunnerState<string> state, IEnumerable<RunnerFact<string>> facts)
    {
        var replayed = new RunnerState<string>(Session, Settings, durable: true);
        foreach (var fact in facts) replayed.Apply(fact);
        var expected = state.ToDurable();
        var actual = replayed.ToDurable();
        // Everything is recorded: statuses, queue, the run's request and diagnostics, and every event kept for replay.
        Assert.Equal(expected with { Queue = [] }, actual with { Queue = [] });
        Assert.Equal(state.Replay(0), replayed.Replay(0));
        Assert.Equal(state.Replay(null), replayed.Replay(null));
        Assert.Equal(expected.Queue, actual.Queue);
        Assert.True(actual.ReservedSequence >= state.LastSequence, "a used sequence is not covered by a reservation");
    }

    private static (RunnerDecision<string> Decision, IRunnerReply? Expected) Apply(Op op, RunnerState<string> state, Model model, DateTimeOffset now)
    {
        var executor = Executors[op.Executor];
        var reserver = Reservers[op.Reserver];
        // Only Cancel takes "no run id" (the active run); everything else names the current run instead.
        var target = op.Kind != Kind.Cancel && op.Target == Target.ActiveOrNull ? Target.Current : op.Target;
        var runId = model.Resolve(target, op.Pick);
        switch (op.Kind)
        {
            case Kind.Reserve:
                var deadline = op.Pick == 0 ? (TimeSpan?)null : TimeSpan.FromMinutes(op.Pick);
                return (state.Reserve(op.Policy, executor, reserver, deadline, now), model.Reserve(op.Policy, executor, reserver, now));
            case Kind.Finalize:
                var outcome = op.Outcome switch { 0 => RunOutcome.Completed, 1 => RunOutcome.Cancelled, _ => RunOutcome.Failed($"failure {op.Pick}") };
                var finalizeId = runId ?? "run-none";
                return (state.Finalize(finalizeId, outcome, now), model.Finalize(finalizeId, outcome, now));
            case Kind.Cancel:
                var reason = op.Ack ? $"reason {op.Pick}" : null;
                return (state.Cancel(runId, reason, now), model.Cancel(runId, reason));
            case Kind.Publish:
                AgentEvent evt = op.Event switch
                {
                    0 => new TokenDelta($"t{op.Pick}"),
                    1 => new ToolStarted("search"),
                    2 => new ToolLifecycle("search", ToolPhase.Finished),
                    3 => new RunnerProgress(op.Pick),
                    4 => new TokenBudget(op.Pick, 10),
                    _ => new ExecutionStarted(),
                };
                var publishId = runId ?? "run-none";
                return (state.Publish(publishId, evt, op.Ack, now), model.Publish(publishId, evt, op.Ack));
            case Kind.ExecutorTerminated:
                var dead = executor ?? "stranger";
                return (state.Terminated(dead, now), model.ExecutorTerminated(dead, now));
            case Kind.DeadlinePassed:
                return (state.DeadlinePassed(runId ?? "run-none", now), model.DeadlinePassed(runId ?? "run-none"));
            case Kind.GraceExpired:
                return (state.GraceExpired(runId ?? "run-none", now), model.GraceExpired(runId ?? "run-none", now));
            default:
                throw new ArgumentOutOfRangeException(nameof(op), op.Kind, null);
        }
    }

    private static void Check(int step, string input, RunnerDecision<string> decision, IRunnerReply? expectedReply,
        RunnerState<string> state, Model model, DateTimeOffset now, List<AgentEvent> log, HashSet<string> watched,
        ConcurrentDictionary<string, int> replyKinds)
    {
        var context = $"step {step} ({input})";
        Assert.True(Equals(expectedReply, decision.Reply), $"{context}: expected reply {expectedReply}, got {decision.Reply}");
        Count(replyKinds, decision.Reply switch
        {
            null => "none",
            Rejected { Reason: "queue_full" } => "Rejected(queue_full)",
            _ => decision.Reply.GetType().Name,
        });

        var events = new List<string>();
        var notifications = new List<(string, IRunnerReply)>();
        var signals = new List<(string, string, string)>();
        var deadlines = new List<string>();
        var graces = new List<string>();
        var timerCancels = 0;
        foreach (var effect in decision.Effects)
        {
            switch (effect)
            {
                case RunnerEffect<string>.Emit emit:
                    var evt = emit.Event;
                    // Stamping: this session, strictly increasing by one, at the time of the input.
                    Assert.True(evt.Sequence == log.Count + 1, $"{context}: sequence {evt.Sequence} after {log.Count}");
                    Assert.Equal(Session, evt.SessionId);
                    Assert.Equal(now, evt.Timestamp);
                    log.Add(evt);
                    events.Add(Describe(evt));
                    break;
                case RunnerEffect<string>.Notify notify:
                    notifications.Add((notify.Target, notify.Message));
                    Count(replyKinds, $"Notify({notify.Message.GetType().Name})");
                    break;
                case RunnerEffect<string>.SignalCancel signal:
                    signals.Add((signal.Executor, signal.RunId, signal.Reason));
                    Count(replyKinds, "SignalCancel");
                    break;
                case RunnerEffect<string>.Watch watch:
                    watched.Add(watch.Actor);
                    break;
                case RunnerEffect<string>.Unwatch unwatch:
                    Assert.True(watched.Remove(unwatch.Actor), $"{context}: unwatched {unwatch.Actor}, which was not watched");
                    break;
                case RunnerEffect<string>.ScheduleDeadline schedule:
                    deadlines.Add(schedule.RunId);
                    break;
                case RunnerEffect<string>.ScheduleGrace grace:
                    graces.Add(grace.RunId);
                    break;
                case RunnerEffect<string>.CancelTimers:
                    timerCancels++;
                    break;
            }
        }

        var expected = model.TakeOutputs();
        Assert.True(expected.Events.SequenceEqual(events),
            $"{context}: events{Environment.NewLine}expected [{string.Join("; ", expected.Events)}]{Environment.NewLine}actual   [{string.Join("; ", events)}]");
        Assert.True(expected.Notifications.SequenceEqual(notifications),
            $"{context}: notifications expected [{string.Join("; ", expected.Notifications)}] actual [{string.Join("; ", notifications)}]");
        Assert.True(expected.Signals.SequenceEqual(signals),
            $"{context}: signals expected [{string.Join("; ", expected.Signals)}] actual [{string.Join("; ", signals)}]");
        Assert.True(expected.Started.SequenceEqual(deadlines), $"{context}: a deadline is scheduled for exactly each started run");
        Assert.True(expected.Graces.SequenceEqual(graces), $"{context}: grace scheduled for [{string.Join(", ", graces)}]");
        Assert.True(expected.ActiveRunsEnded == timerCancels, $"{context}: {timerCancels} timer cancellations for {expected.ActiveRunsEnded} ended runs");

        // State agrees with the model; at most one run is running; the queue is bounded.
        Assert.Equal(model.Status, state.Status);
        Assert.Equal(model.RunId, state.RunId);
        Assert.Equal(model.CancelRequested, state.CancelRequested);
        Assert.Equal(model.Status == RunStatus.Running ? model.Executor : null, state.Executor);
        Assert.Equal(model.Queue.Select(q => q.RunId), state.QueuedRunIds);
        Assert.InRange(state.QueueLength, 0, MaxQueueLength);
        Assert.True(state.QueueLength == 0 || state.Status == RunStatus.Running, $"{context}: runs queued behind no active run");
        Assert.Equal(log.Count, state.LastSequence);

        // Exactly the executors some active or queued run still refers to are watched.
        var referenced = model.Queue.Select(q => q.Executor)
            .Append(model.Status == RunStatus.Running ? model.Executor : null)
            .OfType<string>()
            .ToHashSet();
        Assert.True(referenced.SetEquals(watched),
            $"{context}: watching [{string.Join(", ", watched)}] but runs refer to [{string.Join(", ", referenced)}]");
    }

    /// <summary>Every started run finishes exactly once, after it started and before the next run starts; every
    /// queued run finishes exactly once; no run starts twice.</summary>
    private static void AssertLifecycle(List<AgentEvent> log)
    {
        string? running = null;
        var started = new HashSet<string>();
        var finished = new HashSet<string>();
        var queued = new HashSet<string>();
        foreach (var evt in log)
        {
            switch (evt)
            {
                case ExecutionStarted:
                    Assert.True(running is null, $"run {evt.RunId} started at {evt.Sequence} while {running} was running");
                    Assert.True(started.Add(evt.RunId), $"run {evt.RunId} started twice");
                    running = evt.RunId;
                    break;
                case RunQueued:
                    Assert.True(queued.Add(evt.RunId), $"run {evt.RunId} queued twice");
                    break;
                case ExecutionFinished:
                    Assert.True(finished.Add(evt.RunId), $"run {evt.RunId} finished twice");
                    if (evt.RunId == running) running = null;
                    else Assert.False(started.Contains(evt.RunId), $"run {evt.RunId} finished while {running} was running");
                    break;
                default:
                    Assert.True(evt.RunId == running, $"{evt.GetType().Name} of {evt.RunId} while {running} was running");
                    break;
            }
        }
        Assert.Null(running);
        Assert.Subset(finished, started);
        Assert.Subset(finished, queued);
        Assert.Equal(started.Union(queued).Count(), finished.Count);
    }

    private static string Describe(AgentEvent evt) => evt switch
    {
        ExecutionStarted => $"started {evt.RunId}",
        RunQueued q => $"queued {evt.RunId} at {q.Position}",
        RunCancelling c => $"cancelling {evt.RunId}: {c.Reason}",
        ExecutionFinished f => $"finished {evt.RunId} {f.Status} {f.Error}",
        _ => $"{evt.GetType().Name} {evt.RunId}",
    };

    private static void Count(ConcurrentDictionary<string, int> counts, string kind) => counts.AddOrUpdate(kind, 1, (_, n) => n + 1);

    /// <summary>The reference model: what the runner must do, written from the specification.</summary>
    private sealed class Model
    {
        private int _issued;
        private readonly List<string> _ended = [];
        private Outputs _outputs = new();

        public RunStatus Status { get; private set; } = RunStatus.Pending;
        public string? RunId { get; private set; }
        public bool CancelRequested { get; private set; }
        public string? Executor { get; private set; }
        public List<(string RunId, string? Executor, string? Reserver)> Queue { get; } = [];
        private long _sequence;

        public Outputs TakeOutputs()
        {
            var outputs = _outputs;
            _outputs = new Outputs();
            return outputs;
        }

        public string? Resolve(Target target, int pick) => target switch
        {
            Target.ActiveOrNull => null,
            Target.Current => RunId ?? "run-none",
            Target.Queued => Queue.Count > 0 ? Queue[pick % Queue.Count].RunId : "run-none",
            Target.Ended => _ended.Count > 0 ? _ended[_ended.Count - 1 - pick % _ended.Count] : "run-none",
            _ => $"run-unknown-{pick}",
        };

        public IRunnerReply? Reserve(ConflictPolicy policy, string? executor, string? reserver, DateTimeOffset now)
        {
            if (Status != RunStatus.Running)
            {
                var runId = NextRunId();
                Start(runId, executor, null, now);
                return new Reserved(Session, runId, now);
            }
            switch (policy)
            {
                case ConflictPolicy.Reject:
                    return new AlreadyRunning(Session, RunId!);
                case ConflictPolicy.Interrupt:
                    RequestCancel("interrupted");
                    End(RunStatus.Cancelled, null, now, startNext: false);
                    var runId = NextRunId();
                    Start(runId, executor, null, now);
                    return new Reserved(Session, runId, now);
                default:
                    if (Queue.Count >= MaxQueueLength) return new Rejected(Session, "queue_full");
                    var queuedId = NextRunId();
                    Queue.Add((queuedId, executor, reserver));
                    Emit($"queued {queuedId} at {Queue.Count}");
                    return new Queued(Session, queuedId, Queue.Count);
            }
        }

        public IRunnerReply? Finalize(string runId, RunOutcome outcome, DateTimeOffset now)
        {
            if (runId != RunId) return new StaleRun(Session, runId, RunId);
            if (Status != RunStatus.Running) return new AlreadyFinalized(Session, runId, Status);
            var error = outcome.Status == RunStatus.Error ? outcome.Error : null;
            End(outcome.Status, error, now, startNext: true);
            return new Finalized(Session, runId, outcome.Status, error);
        }

        public IRunnerReply? Cancel(string? runId, string? reason)
        {
            if (runId is null || runId == RunId)
            {
                if (Status != RunStatus.Running) return new NothingToCancel(Session);
                RequestCancel(reason ?? "cancelled");
                return new CancelRequested(Session, RunId!);
            }
            var index = Queue.FindIndex(q => q.RunId == runId);
            if (index < 0) return new StaleRun(Session, runId, RunId);
            Withdraw(index, RunStatus.Cancelled, null, "cancelled");
            return new CancelRequested(Session, runId);
        }

        public IRunnerReply? Publish(string runId, AgentEvent evt, bool acknowledge)
        {
            if (evt is ExecutionStarted)
                return new InvalidCommand(Session, "'execution_started' is a lifecycle event; only the runner publishes it");
            if (runId != RunId || Status != RunStatus.Running) return new StaleRun(Session, runId, RunId);
            Emit($"{evt.GetType().Name} {runId}");
            return acknowledge ? new Published(Session, runId, _sequence, CancelRequested) : null;
        }

        public IRunnerReply? ExecutorTerminated(string executor, DateTimeOffset now)
        {
            for (var i = Queue.Count - 1; i >= 0; i--)
            {
                if (Queue[i].Executor == executor) Withdraw(i, RunStatus.Error, "executor lost", "executor lost");
            }
            if (Status == RunStatus.Running && Executor == executor) End(RunStatus.Error, "executor lost", now, startNext: true);
            return null;
        }

        public IRunnerReply? DeadlinePassed(string runId)
        {
            if (runId != RunId || Status != RunStatus.Running) return null;
            RequestCancel("deadline exceeded");
            _outputs.Graces.Add(runId);
            return null;
        }

        public IRunnerReply? GraceExpired(string runId, DateTimeOffset now)
        {
            if (runId == RunId && Status == RunStatus.Running) End(RunStatus.Error, "deadline exceeded", now, startNext: true);
            return null;
        }

        private string NextRunId() => $"run-{++_issued}";

        private void Start(string runId, string? executor, string? reserver, DateTimeOffset now)
        {
            Status = RunStatus.Running;
            RunId = runId;
            CancelRequested = false;
            Executor = executor;
            if (reserver is not null) _outputs.Notifications.Add((reserver, new Reserved(Session, runId, now)));
            _outputs.Started.Add(runId);
            Emit($"started {runId}");
        }

        private void RequestCancel(string reason)
        {
            if (CancelRequested) return;
            CancelRequested = true;
            Emit($"cancelling {RunId}: {reason}");
            if (Executor is not null) _outputs.Signals.Add((Executor, RunId!, reason));
        }

        private void End(RunStatus status, string? error, DateTimeOffset now, bool startNext)
        {
            Status = status;
            Executor = null;
            _ended.Add(RunId!);
            _outputs.ActiveRunsEnded++;
            Emit($"finished {RunId} {status} {error}");
            if (!startNext || Queue.Count == 0) return;
            var next = Queue[0];
            Queue.RemoveAt(0);
            Start(next.RunId, next.Executor, next.Reserver, now);
        }

        private void Withdraw(int index, RunStatus status, string? error, string reason)
        {
            var (runId, _, reserver) = Queue[index];
            Queue.RemoveAt(index);
            _ended.Add(runId);
            if (reserver is not null) _outputs.Notifications.Add((reserver, new Rejected(Session, reason, runId)));
            Emit($"finished {runId} {status} {error}");
        }

        private void Emit(string description)
        {
            _sequence++;
            _outputs.Events.Add(description);
        }
    }

    private sealed class Outputs
    {
        public List<string> Events { get; } = [];
        public List<(string, IRunnerReply)> Notifications { get; } = [];
        public List<(string, string, string)> Signals { get; } = [];
        public List<string> Started { get; } = [];
        public List<string> Graces { get; } = [];
        public int ActiveRunsEnded { get; set; }
    }
}
