using Akka.Actor;
using Bamboo.Actors.Client;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Hosting.Tests;

public sealed class LeaseCancellationSpecs(ITestOutputHelper output)
    : BambooHostingSpec(output, o => o.DeadlineGrace = TimeSpan.FromMilliseconds(300))
{
    [Fact]
    public async Task Should_fire_the_lease_token_when_anyone_cancels_the_run()
    {
        await using var lease = await Client.ReserveAsync("s1", cancellationToken: TestTimeout());
        var fired = new TaskCompletionSource();
        lease.CancellationToken.Register(() => fired.SetResult());

        Assert.IsType<CancelRequested>(await Client.CancelAsync("s1", reason: "stop button", cancellationToken: TestTimeout()));

        await fired.Task.WaitAsync(TestTimeout());
        Assert.Equal("stop button", lease.CancellationReason);
        var result = await lease.CancelledAsync();
        Assert.Equal(RunStatus.Cancelled, result.Status);
    }

    [Fact]
    public async Task Should_fire_the_first_lease_token_when_an_interrupting_run_starts()
    {
        await using var first = await Client.ReserveAsync("s1", cancellationToken: TestTimeout());

        await using var second = await Client.ReserveAsync("s1", new ReserveOptions { OnConflict = ConflictPolicy.Interrupt }, TestTimeout());

        Assert.Equal(LeaseStatus.Active, second.Status);
        await WaitForCancellation(first.CancellationToken);
        Assert.Equal("interrupted", first.CancellationReason);
        Assert.False(second.CancellationToken.IsCancellationRequested);
        var late = await first.CompleteAsync();
        Assert.True(late.Fenced);
        Assert.Equal(second.RunId, (await StatusAsync("s1")).RunId);
    }

    [Fact]
    public async Task Should_fire_the_lease_token_when_the_deadline_passes()
    {
        await using var lease = await Client.ReserveAsync("s1", new ReserveOptions { Deadline = TimeSpan.FromMilliseconds(200) }, TestTimeout());

        await WaitForCancellation(lease.CancellationToken);

        Assert.Equal("deadline exceeded", lease.CancellationReason);
        Assert.Equal(RunStatus.Cancelled, (await lease.CancelledAsync()).Status);
    }

    [Fact]
    public async Task Should_cancel_the_run_through_RunAsync_caller_token()
    {
        using var caller = new CancellationTokenSource();
        var started = new TaskCompletionSource();

        var running = Client.RunAsync("s1", async (_, token) =>
        {
            started.SetResult();
            await Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, token);
        }, cancellationToken: caller.Token);
        await started.Task.WaitAsync(TestTimeout());
        await caller.CancelAsync();

        var result = await running.WaitAsync(TestTimeout());
        Assert.Equal(RunStatus.Cancelled, result.Status);
    }

    private static Task WaitForCancellation(CancellationToken token) =>
        Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, token).ContinueWith(_ => { }).WaitAsync(TimeSpan.FromSeconds(10));
}

public sealed class LeaseDisposalSpecs(ITestOutputHelper output) : BambooHostingSpec(output)
{
    [Fact]
    public async Task Should_finalize_a_lease_disposed_without_outcome_as_an_error()
    {
        var lease = await Client.ReserveAsync("s1", cancellationToken: TestTimeout());

        await lease.DisposeAsync();

        var status = await StatusAsync("s1");
        Assert.Equal((RunStatus.Error, RunLease.DisposedWithoutOutcome), (status.Status, status.Error));
        Assert.Equal(RunStatus.Error, (await lease.Result).Status);
    }

    [Fact]
    public async Task Should_finalize_a_lease_disposed_after_its_token_fired_as_cancelled()
    {
        var lease = await Client.ReserveAsync("s1", cancellationToken: TestTimeout());
        await Client.CancelAsync("s1", cancellationToken: TestTimeout());
        await Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, lease.CancellationToken).ContinueWith(_ => { }).WaitAsync(TestTimeout());

        await lease.DisposeAsync();

        Assert.Equal(RunStatus.Cancelled, (await StatusAsync("s1")).Status);
    }

    [Fact]
    public async Task Should_withdraw_a_queued_reservation_when_its_lease_is_disposed()
    {
        await using var active = await Client.ReserveAsync("s1", cancellationToken: TestTimeout());
        var queued = await Client.ReserveAsync("s1", new ReserveOptions { OnConflict = ConflictPolicy.Enqueue }, TestTimeout());
        Assert.Equal(1, (await StatusAsync("s1")).QueueLength);

        await queued.DisposeAsync();

        Assert.Equal(LeaseStatus.Rejected, await queued.WhenStarted.WaitAsync(TestTimeout()));
        Assert.Equal(0, (await StatusAsync("s1")).QueueLength);
    }

    [Fact]
    public async Task Should_finalize_once_when_completed_and_disposed_at_once()
    {
        var lease = await Client.ReserveAsync("s1", cancellationToken: TestTimeout());

        var completing = lease.CompleteAsync();
        await lease.DisposeAsync();

        Assert.Equal(RunStatus.Completed, (await completing).Status);
        Assert.Same(await completing, await lease.Result);
        var status = await StatusAsync("s1");
        Assert.Equal((RunStatus.Completed, lease.RunId), (status.Status, status.RunId));
    }

    [Fact]
    public async Task Should_finalize_the_run_that_starts_while_its_queued_lease_is_disposed()
    {
        var active = await Client.ReserveAsync("s1", cancellationToken: TestTimeout());
        var queued = await Client.ReserveAsync("s1", new ReserveOptions { OnConflict = ConflictPolicy.Enqueue }, TestTimeout());

        // The active run ends as the queued lease is withdrawn: whichever the session sees first, no run is left running.
        var completing = active.CompleteAsync();
        await queued.DisposeAsync();
        await completing;

        var status = await StatusAsync("s1");
        Assert.NotEqual(RunStatus.Running, status.Status);
        Assert.Equal(0, status.QueueLength);
        var result = await queued.Result;
        Assert.True(result is { Reservation: LeaseStatus.Rejected } or { Reservation: LeaseStatus.Ended, Status: RunStatus.Cancelled },
            result.ToString());
    }

    [Fact]
    public async Task Should_keep_the_first_outcome_when_finalized_twice()
    {
        await using var lease = await Client.ReserveAsync("s1", cancellationToken: TestTimeout());

        var first = await lease.CompleteAsync();
        var second = await lease.FailAsync(new Exception("too late"));

        Assert.Same(first, second);
        Assert.False(await lease.PublishAsync(new TokenDelta("after the end")));
    }

    [Fact]
    public async Task Should_end_the_run_as_executor_lost_when_the_lease_actor_dies()
    {
        await using var lease = await Client.ReserveAsync("s1", cancellationToken: TestTimeout());

        Sys.Stop(lease.Executor);

        await AwaitAssertAsync(async () =>
        {
            var status = await StatusAsync("s1");
            Assert.Equal((RunStatus.Error, "executor lost"), (status.Status, status.Error));
        });
        Assert.True(lease.CancellationToken.IsCancellationRequested);
        var late = await lease.CompleteAsync();
        Assert.Equal((RunStatus.Error, true), (late.Status, late.Fenced));
    }
}
