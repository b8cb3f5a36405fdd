using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Runners;

/// <summary>
/// A <see cref="RunnerState{TRef}"/> of session <c>s1</c> with string handles, run ids <c>run-1</c>, <c>run-2</c>, ...
/// and explicit times, plus helpers to build the exact replies and effects it must produce. No ActorSystem.
/// </summary>
public abstract class RunnerStateSpec
{
    protected const string Session = "s1";
    protected const string ExecA = "executor-a";
    protected const string ExecB = "executor-b";
    protected const string ExecC = "executor-c";
    protected const string Waiter = "waiter";
    protected const string Waiter2 = "waiter-2";
    protected const string Waiter3 = "waiter-3";

    protected static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
    protected static readonly TimeSpan DefaultDeadline = RunnerSettings.Default.DefaultDeadline;
    protected static readonly TimeSpan DefaultGrace = RunnerSettings.Default.DeadlineGrace;

    private int _runIds;

    protected RunnerStateSpec(RunnerSettings? settings = null)
    {
        Settings = settings ?? RunnerSettings.Default;
        State = new RunnerState<string>(Session, Settings, () => $"run-{++_runIds}", durable: true);
    }

    protected RunnerSettings Settings { get; }

    protected RunnerState<string> State { get; }

    /// <summary>How many run ids the state has asked for so far.</summary>
    protected int RunIdsIssued => _runIds;

    /// <summary><see cref="T0"/> plus <paramref name="seconds"/>.</summary>
    protected static DateTimeOffset At(int seconds) => T0.AddSeconds(seconds);

    // ---- inputs -------------------------------------------------------------------------------------------------

    protected RunnerDecision<string> Reserve(DateTimeOffset now, ConflictPolicy policy = ConflictPolicy.Reject,
        string? executor = null, string? reserver = null, TimeSpan? deadline = null) =>
        State.Reserve(policy, executor, reserver, deadline, now);

    /// <summary>Reserves and asserts the run started; returns its id.</summary>
    protected string Start(DateTimeOffset now, string? executor = null, TimeSpan? deadline = null,
        ConflictPolicy policy = ConflictPolicy.Reject)
    {
        var reserved = Assert.IsType<Reserved>(Reserve(now, policy, executor, deadline: deadline).Reply);
        return reserved.RunId;
    }

    /// <summary>Enqueues behind the active run and asserts it was queued; returns its id.</summary>
    protected string Enqueue(DateTimeOffset now, string? executor = null, string? reserver = null, TimeSpan? deadline = null)
    {
        var queued = Assert.IsType<Queued>(Reserve(now, ConflictPolicy.Enqueue, executor, reserver, deadline).Reply);
        return queued.RunId;
    }

    /// <summary>Finalizes the active run and asserts it was accepted.</summary>
    protected void Finish(string runId, DateTimeOffset now, RunOutcome? outcome = null) =>
        Assert.IsType<Finalized>(State.Finalize(runId, outcome ?? RunOutcome.Completed, now).Reply);

    /// <summary>Brings the session to <paramref name="status"/> with one run (run-1); returns its id.</summary>
    protected string EndFirstRunWith(RunStatus status, DateTimeOffset startedAt, DateTimeOffset endedAt, string? executor = null)
    {
        var runId = Start(startedAt, executor);
        switch (status)
        {
            case RunStatus.Completed:
                Finish(runId, endedAt);
                break;
            case RunStatus.Cancelled:
                Finish(runId, endedAt, RunOutcome.Cancelled);
                break;
            case RunStatus.Error:
                Finish(runId, endedAt, RunOutcome.Failed("boom"));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(status), status, "not terminal");
        }
        return runId;
    }

    // ---- expected effects --------------------------------------------------------------------------------------

    /// <summary>The <see cref="RunnerEffect{TRef}.Emit"/> of <paramref name="evt"/> stamped as the state must stamp it.</summary>
    protected static RunnerEffect<string> Emitted(AgentEvent evt, string runId, long sequence, DateTimeOffset at) =>
        new RunnerEffect<string>.Emit(Stamped(evt, runId, sequence, at));

    protected static T Stamped<T>(T evt, string runId, long sequence, DateTimeOffset at) where T : AgentEvent =>
        evt with { SessionId = Session, RunId = runId, Sequence = sequence, Timestamp = at };

    protected static RunnerEffect<string> Watch(string executor) => new RunnerEffect<string>.Watch(executor);

    protected static RunnerEffect<string> Unwatch(string executor) => new RunnerEffect<string>.Unwatch(executor);

    protected static RunnerEffect<string> Signal(string executor, string runId, string reason) =>
        new RunnerEffect<string>.SignalCancel(executor, runId, reason);

    protected static RunnerEffect<string> Notify(string target, IRunnerReply message) =>
        new RunnerEffect<string>.Notify(target, message);

    protected static RunnerEffect<string> ScheduleDeadline(string runId, TimeSpan after) =>
        new RunnerEffect<string>.ScheduleDeadline(runId, after);

    protected static RunnerEffect<string> ScheduleGrace(string runId, TimeSpan after) =>
        new RunnerEffect<string>.ScheduleGrace(runId, after);

    protected static RunnerEffect<string> CancelTimers() => new RunnerEffect<string>.CancelTimers();

    /// <summary>The first of a batch of executors' events waits to be recorded (the state under test is durable).</summary>
    protected static RunnerEffect<string> FlushLater() => new RunnerEffect<string>.ScheduleFlush(RunnerSettings.Default.EventBatchInterval);

    // ---- assertions -------------------------------------------------------------------------------------------

    protected static void AssertDecision(RunnerDecision<string> decision, IRunnerReply? reply, params RunnerEffect<string>[] effects)
    {
        Assert.Equal(reply, decision.Reply);
        Assert.Equal(effects, decision.Effects);
    }

    /// <summary>
    /// Applies <paramref name="input"/> and asserts it was fenced: <paramref name="reply"/> (or none), no effect, and the
    /// state is exactly as before (snapshot, queue, executor, budget, retained and critical events, run ids issued).
    /// </summary>
    protected void AssertChangesNothing(Func<RunnerDecision<string>> input, IRunnerReply? reply)
    {
        var before = Capture();

        var decision = input();

        Assert.Equal(reply, decision.Reply);
        Assert.Empty(decision.Effects);
        Assert.Empty(decision.Facts);
        var after = Capture();
        Assert.Equal(before.Snapshot, after.Snapshot);
        Assert.Equal(before.Queue, after.Queue);
        Assert.Equal(before.Executor, after.Executor);
        Assert.Equal(before.Budget, after.Budget);
        Assert.Equal(before.Retained, after.Retained);
        Assert.Equal(before.Critical, after.Critical);
        Assert.Equal(before.RunIds, after.RunIds);
    }

    private (RunnerSnapshot Snapshot, string[] Queue, string? Executor, TokenBudget? Budget,
        AgentEvent[] Retained, AgentEvent[] Critical, int RunIds) Capture() =>
        (State.Snapshot(), State.QueuedRunIds.ToArray(), State.Executor, State.LastBudget,
            State.Replay(0).ToArray(), State.Replay(null).ToArray(), _runIds);

    /// <summary>The snapshot of a session whose only change since creation is <paramref name="change"/>.</summary>
    protected static RunnerSnapshot Snapshot(Func<RunnerSnapshot, RunnerSnapshot> change) =>
        change(new RunnerSnapshot(Session, RunStatus.Pending, null, null, null, null, null, 0, null, null, false, 0, 0, 0, null));

    /// <summary>Executors left watched after applying the Watch/Unwatch effects of <paramref name="decisions"/> in order,
    /// with the idempotent set semantics of Akka's death watch.</summary>
    protected static HashSet<string> Watched(params RunnerDecision<string>[] decisions)
    {
        var watched = new HashSet<string>();
        foreach (var effect in decisions.SelectMany(d => d.Effects))
        {
            if (effect is RunnerEffect<string>.Watch w) watched.Add(w.Actor);
            if (effect is RunnerEffect<string>.Unwatch u) watched.Remove(u.Actor);
        }
        return watched;
    }
}
