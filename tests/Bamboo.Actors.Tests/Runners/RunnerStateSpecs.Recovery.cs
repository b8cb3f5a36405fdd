using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Runners;

/// <summary>Facts replayed from a journal: a fact for a run that is not the active one changes nothing.</summary>
public sealed class RunnerStateRecoverySpecs : RunnerStateSpec
{
    private static readonly DateTimeOffset T1 = T0.AddSeconds(1);
    private static readonly DateTimeOffset T2 = T0.AddSeconds(2);

    [Fact]
    public void Should_not_end_an_ended_run_a_second_time()
    {
        State.Apply(new RunnerFact<string>.RunStarted("run-a", T0, T0 + DefaultDeadline, null));
        State.Apply(new RunnerFact<string>.RunEnded("run-a", RunStatus.Completed, null, T1, 3, "search", ToolPhase.Finished));

        // A stale writer's later end of the same run.
        State.Apply(new RunnerFact<string>.RunEnded("run-a", RunStatus.Error, "lost on restart", T2, 0, null, null));

        Assert.Equal((RunStatus.Completed, (string?)null, (DateTimeOffset?)T1, 3, "search"),
            (State.Status, State.Error, State.CompletedAt, State.RoundCount, State.LastToolName));
    }

    [Fact]
    public void Should_not_mark_an_ended_run_as_cancel_requested()
    {
        State.Apply(new RunnerFact<string>.RunStarted("run-a", T0, T0 + DefaultDeadline, null));
        State.Apply(new RunnerFact<string>.RunEnded("run-a", RunStatus.Completed, null, T1, 0, null, null));

        State.Apply(new RunnerFact<string>.CancelRequested("run-a", "cancelled"));

        Assert.False(State.CancelRequested);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Should_tell_the_reserver_of_a_queued_run_again_that_it_started_when_it_is_recovered_running(bool fromSnapshot)
    {
        var first = Reserve(T0, executor: ExecA);
        var queued = Reserve(T1, ConflictPolicy.Enqueue, reserver: Waiter);
        var started = State.Finalize(((Reserved)first.Reply!).RunId, RunOutcome.Completed, T2);
        var told = new RunnerEffect<string>.Notify(Waiter, new Reserved(Session, "run-2", T2));
        Assert.Contains(told, started.Effects);

        // The incarnation that started run-2 crashed; its word to the reserver may have been lost with it.
        var next = Recover(fromSnapshot, first, queued, started);
        var recovered = next.Recovered(At(10));

        Assert.Equal((RunStatus.Running, "run-2"), (next.Status, next.RunId));
        Assert.Contains(told, recovered.Effects);
    }

    [Fact]
    public void Should_tell_nobody_again_of_a_run_started_by_its_reservation_or_already_ended()
    {
        var direct = Reserve(T0, executor: ExecA, reserver: Waiter);
        Assert.DoesNotContain(Recover(false, direct).Recovered(T1).Effects, effect => effect is RunnerEffect<string>.Notify);

        var queued = Reserve(T1, ConflictPolicy.Enqueue, reserver: Waiter2);
        var started = State.Finalize("run-1", RunOutcome.Completed, T2);
        var ended = State.Finalize("run-2", RunOutcome.Completed, At(3));
        Assert.DoesNotContain(Recover(true, direct, queued, started, ended).Recovered(At(4)).Effects, effect => effect is RunnerEffect<string>.Notify);
    }

    [Fact]
    public void Should_signal_the_executor_again_when_a_run_is_recovered_with_its_cancellation_requested()
    {
        var started = Reserve(T0, executor: ExecA);
        var runId = ((Reserved)started.Reply!).RunId;
        var cancelled = State.Cancel(runId, "user pressed stop", T1);

        // The cancellation's fact was recorded, but the incarnation that wrote it never sent the signal.
        var recovered = Recover(false, started, cancelled).Recovered(T2);

        Assert.Contains(new RunnerEffect<string>.SignalCancel(ExecA, runId, "user pressed stop"), recovered.Effects);
        Assert.DoesNotContain(Recover(false, started).Recovered(T2).Effects, effect => effect is RunnerEffect<string>.SignalCancel);
    }

    /// <summary>A fresh state recovered from the facts of <paramref name="decisions"/>, or from a snapshot of this one.</summary>
    [Fact]
    public void Should_signal_the_executor_of_an_interrupted_run_again_when_the_session_is_recovered()
    {
        var first = Reserve(T0, executor: ExecA);
        var runId = ((Reserved)first.Reply!).RunId;
        var interrupted = Reserve(T1, ConflictPolicy.Interrupt, executor: ExecB);
        var signal = new RunnerEffect<string>.SignalCancel(ExecA, runId, "interrupted");
        Assert.Contains(signal, interrupted.Effects);

        // The incarnation that ended the first run and started the second died before its signal left the node.
        var next = Recover(false, first, interrupted);
        var recovered = next.Recovered(T2);

        Assert.Equal((RunStatus.Running, ExecB), (next.Status, next.Executor));
        Assert.Contains(signal, recovered.Effects);
    }

    [Fact]
    public void Should_not_signal_the_executor_of_a_run_that_ended_without_cancellation_or_long_ago_or_live()
    {
        var finalized = Reserve(T0, executor: ExecA);
        var ended = State.Finalize(((Reserved)finalized.Reply!).RunId, RunOutcome.Completed, T1);
        Assert.DoesNotContain(Recover(false, finalized, ended).Recovered(T2).Effects, effect => effect is RunnerEffect<string>.SignalCancel);

        var second = Reserve(T2, executor: ExecA);
        var interrupted = Reserve(At(3), ConflictPolicy.Interrupt, executor: ExecB);
        var later = At(3) + RunnerState<string>.EndedSignalWindow + TimeSpan.FromSeconds(1);
        Assert.DoesNotContain(Recover(false, finalized, ended, second, interrupted).Recovered(later).Effects,
            effect => effect is RunnerEffect<string>.SignalCancel signal && signal.Executor == ExecA);

        // The live state sent its signal with the write: nothing is kept for it.
        Assert.DoesNotContain(State.Recovered(At(4)).Effects, effect => effect is RunnerEffect<string>.SignalCancel signal && signal.Executor == ExecA);
    }

    private RunnerState<string> Recover(bool fromSnapshot, params RunnerDecision<string>[] decisions)
    {
        var next = new RunnerState<string>(Session, Settings, () => "unused", durable: true);
        if (fromSnapshot) next.Restore(State.ToDurable());
        else
        {
            foreach (var fact in decisions.SelectMany(decision => decision.Facts)) next.Apply(fact);
        }
        return next;
    }
}
