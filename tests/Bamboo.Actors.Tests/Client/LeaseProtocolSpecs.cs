using Akka.Actor;
using Bamboo.Actors.Client;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.ExecutorSignals;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Client;

/// <summary>
/// The lease's state machine against a session played by the spec: every command goes to the supervisor, answers and
/// their absence become values, the finalize is told apart from earlier answers, and disposal or a stopped executor
/// never loses or doubles a finalize.
/// </summary>
public sealed class LeaseProtocolSpecs(ITestOutputHelper output) : FakeSessionSpec(output)
{
    [Fact]
    public async Task Should_send_its_publishes_then_its_finalize_to_the_supervisor_on_behalf_of_its_executor()
    {
        var lease = await ActiveLeaseAsync();

        Assert.True(await lease.PublishAsync(new TokenDelta("a")));
        Assert.True(await lease.PublishAsync(new TokenDelta("b")));
        var completing = lease.CompleteAsync();

        Assert.Equal("a", Assert.IsType<TokenDelta>((await Session.ExpectMsgAsync<Publish>()).Event).Text);
        Assert.Equal(lease.Executor, Session.LastSender);
        Assert.Equal("b", Assert.IsType<TokenDelta>((await Session.ExpectMsgAsync<Publish>()).Event).Text);
        var finalize = await Session.ExpectMsgAsync<Finalize>();
        Assert.Equal(("run-1", RunOutcome.Completed), (finalize.RunId, finalize.Outcome));
        Assert.Equal(lease.Executor, Session.LastSender);
        // Once the finalize is asked for, nothing more is published.
        Assert.False(await lease.PublishAsync(new TokenDelta("too late")));

        Session.Reply(new Finalized("s1", "run-1", RunStatus.Completed));
        var result = await completing;
        Assert.Equal((LeaseStatus.Ended, RunStatus.Completed, false), (result.Reservation, result.Status, result.Fenced));
        Assert.Equal(LeaseStatus.Ended, lease.Status);
        Assert.Same(result, await lease.FailAsync(new Exception("second outcome")));
        await Session.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Should_be_unavailable_without_throwing_when_the_reservation_goes_unanswered()
    {
        var reserving = Client.ReserveAsync("s1");
        var reserve = await Session.ExpectMsgAsync<Reserve>();
        Watch(reserve.Executor!);

        var lease = await reserving.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal((LeaseStatus.Unavailable, RunnerClient.NoAnswer), (lease.Status, lease.Reason));
        Assert.Equal(LeaseStatus.Unavailable, (await lease.Result).Reservation);
        // Its executor is gone, so a reservation granted late is ended by the session as executor lost.
        await ExpectTerminatedAsync(reserve.Executor!);
    }

    [Fact]
    public async Task Should_be_unavailable_when_the_session_could_not_record_the_reservation()
    {
        var reserving = Client.ReserveAsync("s1");
        var reserve = await Session.ExpectMsgAsync<Reserve>();
        reserve.Executor!.Tell(new Unavailable("s1", "journal unavailable: timeout"), Runner.Ref);

        var lease = await reserving;

        Assert.Equal((LeaseStatus.Unavailable, "journal unavailable: timeout"), (lease.Status, lease.Reason));
        Assert.Throws<InvalidOperationException>(() => { _ = lease.CompleteAsync(); });
        await lease.DisposeAsync();
    }

    [Fact]
    public async Task Should_return_a_run_result_for_an_unavailable_reservation_from_RunAsync()
    {
        var ran = false;
        var running = Client.RunAsync("s1", (_, _) =>
        {
            ran = true;
            return Task.CompletedTask;
        });
        var reserve = await Session.ExpectMsgAsync<Reserve>();
        reserve.Executor!.Tell(new Unavailable("s1", "journal unavailable"), Runner.Ref);

        var result = await running;

        Assert.Equal((LeaseStatus.Unavailable, null, "journal unavailable"), (result.Reservation, result.Status, result.Error));
        Assert.False(ran);
    }

    [Fact]
    public async Task Should_be_unavailable_when_the_finalize_and_its_retry_go_unanswered()
    {
        var lease = await ActiveLeaseAsync();

        var completing = lease.CompleteAsync();
        await Session.ExpectMsgAsync<Finalize>();
        // Once more after the answer timeout: the first may have been lost in a runner that stopped.
        await Session.ExpectMsgAsync<Finalize>();

        var result = await completing.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((LeaseStatus.Unavailable, null, RunnerClient.NoAnswer), (result.Reservation, result.Status, result.Error));
        Assert.Equal(LeaseStatus.Unavailable, lease.Status);
    }

    [Fact]
    public async Task Should_wait_for_its_finalize_after_an_unavailable_answer_that_may_be_a_publishs()
    {
        var lease = await ActiveLeaseAsync();

        var completing = lease.CompleteAsync();
        await Session.ExpectMsgAsync<Finalize>();
        var executor = Session.LastSender;
        // The Unavailable answers a publish sent before the finalize; its runner handed the finalize on to the next one.
        executor.Tell(new Unavailable("s1", "journal unavailable: timeout"), Runner.Ref);
        // Not sent again at once (its retry waits for the answer timeout); a short look, so a loaded machine stays inside it.
        await Session.ExpectNoMsgAsync(AnswerTimeout / 4);
        executor.Tell(new Finalized("s1", "run-1", RunStatus.Completed), Runner.Ref);

        var result = await completing;
        Assert.Equal((LeaseStatus.Ended, RunStatus.Completed, false), (result.Reservation, result.Status, result.Fenced));
        await Session.ExpectNoMsgAsync(AnswerTimeout * 2);
    }

    [Fact]
    public async Task Should_finalize_again_after_an_unavailable_answer_and_keep_the_first_outcome_recorded()
    {
        var lease = await ActiveLeaseAsync();

        var completing = lease.CompleteAsync();
        await Session.ExpectMsgAsync<Finalize>();
        var executor = Session.LastSender;
        // The finalize's own write failed: no answer follows, and after the answer timeout it goes again.
        executor.Tell(new Unavailable("s1", "journal unavailable: timeout"), Runner.Ref);
        var again = await Session.ExpectMsgAsync<Finalize>();
        Assert.Equal(RunOutcome.Completed, again.Outcome);
        executor.Tell(new Finalized("s1", "run-1", RunStatus.Completed), Runner.Ref);
        // The second copy's answer: the run had already ended, by this lease's first finalize.
        executor.Tell(new AlreadyFinalized("s1", "run-1", RunStatus.Completed), Runner.Ref);

        var result = await completing;
        Assert.Equal((LeaseStatus.Ended, RunStatus.Completed, false), (result.Reservation, result.Status, result.Fenced));
    }

    [Fact]
    public async Task Should_give_up_the_finalize_when_its_retry_is_unavailable_too()
    {
        var lease = await ActiveLeaseAsync();

        var completing = lease.CompleteAsync();
        for (var attempt = 0; attempt < 2; attempt++)
        {
            await Session.ExpectMsgAsync<Finalize>();
            Session.Reply(new Unavailable("s1", "journal unavailable"));
        }

        var result = await completing;
        Assert.Equal((LeaseStatus.Unavailable, "journal unavailable"), (result.Reservation, result.Error));
        await Session.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Should_not_take_a_fenced_publish_for_the_answer_to_its_finalize()
    {
        var lease = await ActiveLeaseAsync();
        await lease.PublishAsync(new TokenDelta("after the deadline ended the run"));
        await Session.ExpectMsgAsync<Publish>();

        var completing = lease.CompleteAsync();
        await Session.ExpectMsgAsync<Finalize>();
        // The publish's answer: the run ended (the session's deadline) and is still the session's last run.
        Session.LastSender.Tell(new StaleRun("s1", "run-1", "run-1"), Runner.Ref);
        await Task.Delay(100);
        Assert.False(completing.IsCompleted);
        Session.Reply(new AlreadyFinalized("s1", "run-1", RunStatus.Error));

        var result = await completing;
        Assert.Equal((RunStatus.Error, true), (result.Status, result.Fenced));
    }

    [Fact]
    public async Task Should_fire_its_token_when_a_publish_is_fenced_and_keep_running_on_an_unavailable_write()
    {
        var lease = await ActiveLeaseAsync();
        await lease.PublishAsync(new TokenDelta("lost to a journal error"));
        await Session.ExpectMsgAsync<Publish>();
        Session.Reply(new Unavailable("s1", "journal unavailable"));
        await lease.PublishAsync(new TokenDelta("fenced"));
        await Session.ExpectMsgAsync<Publish>();

        Session.Reply(new StaleRun("s1", "run-1", "run-2"));

        await WhenCancelled(lease.CancellationToken);
        Assert.Equal("fenced: superseded by run run-2", lease.CancellationReason);
        Assert.Equal(LeaseStatus.Active, lease.Status);
    }

    [Fact]
    public async Task Should_fire_its_token_on_the_sessions_cancel_signal()
    {
        var lease = await ActiveLeaseAsync();

        lease.Executor.Tell(new CancelRun("s1", "run-1", "deadline exceeded"), Runner.Ref);

        await WhenCancelled(lease.CancellationToken);
        Assert.Equal("deadline exceeded", lease.CancellationReason);
    }

    [Fact]
    public async Task Should_not_ask_the_session_when_a_runner_in_its_own_process_stops()
    {
        var lease = await ActiveLeaseAsync();

        // A runner in this process that drops a run says so (CancelRun); a durable one keeps it for its next incarnation.
        Sys.Stop(Runner.Ref);

        await Session.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        Assert.False(lease.CancellationToken.IsCancellationRequested);
    }

    [Fact]
    public async Task Should_send_one_finalize_when_finalized_and_disposed_at_once()
    {
        var lease = await ActiveLeaseAsync();

        var completing = lease.CompleteAsync();
        var disposing = lease.DisposeAsync().AsTask();
        var finalize = await Session.ExpectMsgAsync<Finalize>();
        Session.Reply(new Finalized("s1", "run-1", finalize.Outcome.Status, finalize.Outcome.Error));

        await disposing;
        Assert.Equal(RunStatus.Completed, (await completing).Status);
        await Session.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Should_finalize_a_lease_disposed_without_outcome_as_an_error_once_its_answer_comes()
    {
        var lease = await ActiveLeaseAsync();

        var disposing = lease.DisposeAsync().AsTask();
        var finalize = await Session.ExpectMsgAsync<Finalize>();
        Assert.Equal(RunOutcome.Failed(RunLease.DisposedWithoutOutcome), finalize.Outcome);
        await Task.Delay(100);
        Assert.False(disposing.IsCompleted);
        Session.Reply(new Finalized("s1", "run-1", RunStatus.Error, RunLease.DisposedWithoutOutcome));

        await disposing;
        Assert.Equal(RunStatus.Error, (await lease.Result).Status);
    }

    [Fact]
    public async Task Should_finalize_once_more_without_its_executor_when_that_stops_while_finalizing()
    {
        var lease = await ActiveLeaseAsync();
        var completing = lease.CompleteAsync();
        await Session.ExpectMsgAsync<Finalize>();
        var executor = Session.LastSender;

        Watch(executor);
        Sys.Stop(executor);
        await ExpectTerminatedAsync(executor);

        // The first finalize's answer would go nowhere: the same finalize comes again, from the client.
        var again = await Session.ExpectMsgAsync<Finalize>();
        Assert.NotEqual(executor, Session.LastSender);
        Assert.Equal(RunOutcome.Completed, again.Outcome);
        Session.Reply(new AlreadyFinalized("s1", "run-1", RunStatus.Completed));
        var result = await completing;
        Assert.Equal((LeaseStatus.Ended, RunStatus.Completed), (result.Reservation, result.Status));
        Assert.Equal(LeaseActor.ExecutorStopped, lease.CancellationReason);
        await Session.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Should_finalize_without_its_executor_once_that_has_stopped()
    {
        var lease = await ActiveLeaseAsync();
        Watch(lease.Executor);
        Sys.Stop(lease.Executor);
        await ExpectTerminatedAsync(lease.Executor);
        Assert.Equal(LeaseActor.ExecutorStopped, lease.CancellationReason);

        var disposing = lease.DisposeAsync().AsTask();

        // Disposal after the token fired finalizes as cancelled; the session had ended the run when its executor stopped.
        Assert.Equal(RunOutcome.Cancelled, (await Session.ExpectMsgAsync<Finalize>()).Outcome);
        Session.Reply(new AlreadyFinalized("s1", "run-1", RunStatus.Error));
        await disposing;
        var result = await lease.Result;
        Assert.Equal((RunStatus.Error, true), (result.Status, result.Fenced));
        await Session.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Should_withdraw_a_queued_lease_on_disposal()
    {
        var lease = await QueuedLeaseAsync();

        var disposing = lease.DisposeAsync().AsTask();
        var cancel = await Session.ExpectMsgAsync<Cancel>();
        Assert.Equal(("run-2", "lease disposed"), (cancel.RunId, cancel.Reason));
        Session.Reply(new CancelRequested("s1", "run-2"));

        await disposing;
        Assert.Equal(LeaseStatus.Rejected, await lease.WhenStarted);
        Assert.Equal((LeaseStatus.Rejected, "cancelled"), ((await lease.Result).Reservation, lease.Reason));
    }

    [Fact]
    public async Task Should_end_a_queued_lease_whose_run_starts_while_it_is_withdrawn()
    {
        var lease = await QueuedLeaseAsync();

        var disposing = lease.DisposeAsync().AsTask();
        await Session.ExpectMsgAsync<Cancel>();
        var executor = Session.LastSender;
        // The run started before the withdrawal arrived: the withdrawal then cancels it, and the lease ends it.
        executor.Tell(new Reserved("s1", "run-2", DateTimeOffset.UtcNow), Runner.Ref);
        executor.Tell(new CancelRequested("s1", "run-2"), Runner.Ref);
        var finalize = await Session.ExpectMsgAsync<Finalize>();
        Assert.Equal(("run-2", RunOutcome.Cancelled), (finalize.RunId, finalize.Outcome));
        Session.Reply(new Finalized("s1", "run-2", RunStatus.Cancelled));

        await disposing;
        Assert.Equal(LeaseStatus.Active, await lease.WhenStarted);
        Assert.Equal(RunStatus.Cancelled, (await lease.Result).Status);
    }

    [Fact]
    public async Task Should_start_a_queued_lease_when_its_run_starts()
    {
        var lease = await QueuedLeaseAsync();
        Assert.False(lease.WhenStarted.IsCompleted);

        lease.Executor.Tell(new Reserved("s1", "run-2", DateTimeOffset.UtcNow), Runner.Ref);

        Assert.Equal(LeaseStatus.Active, await lease.WhenStarted);
        Assert.Equal((LeaseStatus.Active, "run-2"), (lease.Status, lease.RunId));
        Assert.True(await lease.PublishAsync(new TokenDelta("started")));
    }

    [Fact]
    public async Task Should_cancel_its_runs_through_their_executors_when_drained()
    {
        var active = await ActiveLeaseAsync();
        var queued = await QueuedLeaseAsync("s2", "run-2");

        var draining = Client.DrainAsync("shutting down", TimeSpan.FromSeconds(5));

        var cancels = new[] { await Session.ExpectMsgAsync<Cancel>(), await Session.ExpectMsgAsync<Cancel>() };
        Assert.Equal(["run-1", "run-2"], cancels.Select(c => c.RunId).Order());
        Assert.All(cancels, c => Assert.Equal("shutting down", c.Reason));
        active.Executor.Tell(new CancelRun("s1", "run-1", "shutting down"), Runner.Ref);
        queued.Executor.Tell(new Rejected("s2", "shutting down", "run-2"), Runner.Ref);
        await WhenCancelled(active.CancellationToken);
        var finalizing = active.CancelledAsync();
        await Session.ExpectMsgAsync<Finalize>();
        Session.Reply(new Finalized("s1", "run-1", RunStatus.Cancelled));
        await finalizing;

        Assert.Equal(0, await draining);
        Assert.Equal((LeaseStatus.Rejected, "shutting down"), (queued.Status, queued.Reason));
    }
}
