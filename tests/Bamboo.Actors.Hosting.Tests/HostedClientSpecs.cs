using Akka.Hosting;
using Bamboo.Actors.Client;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Hosting.Tests;

public sealed class HostedClientSpecs(ITestOutputHelper output) : BambooHostingSpec(output)
{
    [Fact]
    public async Task Should_register_the_supervisor_for_IRequiredActor()
    {
        var supervisor = await ActorRegistry.GetAsync<RunnerSupervisor>();

        Assert.Equal("/user/runners", supervisor.Path.ToStringWithoutAddress());
    }

    [Fact]
    public async Task Should_run_work_end_to_end_and_publish_its_events()
    {
        var events = new List<AgentEvent>();
        await using var subscription = await Client.OpenSubscriptionAsync("s1", cancellationToken: TestTimeout());

        var result = await Client.RunAsync("s1", async (run, _) =>
        {
            await run.PublishAsync(new ToolStarted("search"));
            await run.PublishAsync(new TokenDelta("hi"));
        }, cancellationToken: TestTimeout());

        Assert.Equal(RunStatus.Completed, result.Status);
        await foreach (var evt in subscription.ReadAllAsync(TestTimeout()))
        {
            events.Add(evt);
            if (evt is ExecutionFinished) break;
        }
        Assert.Equal(
            [typeof(ExecutionStarted), typeof(ToolStarted), typeof(TokenDelta), typeof(ExecutionFinished)],
            events.Select(e => e.GetType()));
        Assert.All(events, e => Assert.Equal(result.RunId, e.RunId));
        var status = await StatusAsync("s1");
        Assert.Equal((RunStatus.Completed, "search"), (status.Status, status.LastToolName));
    }

    [Theory]
    [InlineData("boom", RunStatus.Error, "boom")]
    [InlineData("cancel", RunStatus.Cancelled, null)]
    public async Task Should_map_the_work_outcome_with_the_seed_rules(string failure, RunStatus expected, string? error)
    {
        var result = await Client.RunAsync("s1", (_, _) => failure == "boom"
            ? throw new InvalidOperationException("boom")
            : throw new OperationCanceledException(), cancellationToken: TestTimeout());

        Assert.Equal((expected, error), (result.Status, result.Error));
        Assert.Equal(expected, (await StatusAsync("s1")).Status);
    }

    [Fact]
    public async Task Should_return_AlreadyRunning_with_the_existing_run_id_without_throwing()
    {
        await using var first = await Client.ReserveAsync("s1", cancellationToken: TestTimeout());

        await using var second = await Client.ReserveAsync("s1", cancellationToken: TestTimeout());

        Assert.Equal(LeaseStatus.Active, first.Status);
        Assert.Equal(LeaseStatus.AlreadyRunning, second.Status);
        Assert.Equal(first.RunId, second.RunId);
        Assert.Throws<InvalidOperationException>(() => { _ = second.CompleteAsync(); });
    }

    [Fact]
    public async Task Should_report_an_invalid_session_id_as_a_value_everywhere()
    {
        await using var lease = await Client.ReserveAsync("bad\nid", cancellationToken: TestTimeout());

        Assert.Equal(LeaseStatus.Invalid, lease.Status);
        Assert.Contains("control", lease.Reason);
        Assert.IsType<InvalidCommand>(await Client.GetStatusAsync("", TestTimeout()));
        await using var subscription = await Client.OpenSubscriptionAsync("", cancellationToken: TestTimeout());
        Assert.Equal(SubscriptionStatus.Invalid, subscription.Status);
        Assert.False(await subscription.WaitToReadAsync(TestTimeout()));
    }

    [Fact]
    public async Task Should_start_a_queued_run_when_the_active_one_ends()
    {
        await using var first = await Client.ReserveAsync("s1", cancellationToken: TestTimeout());
        var ran = new TaskCompletionSource<string>();

        var queued = await Client.StartAsync("s1", (run, _) =>
        {
            ran.SetResult(run.RunId);
            return Task.CompletedTask;
        }, new ReserveOptions { OnConflict = ConflictPolicy.Enqueue }, TestTimeout());

        Assert.Equal(LeaseStatus.Queued, queued.Status);
        Assert.Equal(1, queued.QueuePosition);
        Assert.False(ran.Task.IsCompleted);
        await first.CompleteAsync();
        Assert.Equal(queued.RunId, await ran.Task.WaitAsync(TestTimeout()));
        Assert.Equal(RunStatus.Completed, (await queued.Result.WaitAsync(TestTimeout())).Status);
    }

    [Fact]
    public async Task Should_serve_an_external_worker_without_a_lease()
    {
        var reserved = Assert.IsType<Reserved>(await Client.ReserveExternalAsync("worker", new ReserveOptions { Deadline = TimeSpan.FromMinutes(1) }, TestTimeout()));

        var published = Assert.IsType<Published>(await Client.PublishAsync("worker", reserved.RunId, new RunnerProgress(1), TestTimeout()));
        await Client.CancelAsync("worker", cancellationToken: TestTimeout());
        var heartbeat = Assert.IsType<Published>(await Client.PublishAsync("worker", reserved.RunId, new RunnerProgress(2), TestTimeout()));
        var finalized = Assert.IsType<Finalized>(await Client.FinalizeAsync("worker", reserved.RunId, RunOutcome.Cancelled, TestTimeout()));

        Assert.False(published.CancelRequested);
        Assert.True(heartbeat.CancelRequested);
        Assert.Equal(RunStatus.Cancelled, finalized.Status);
        Assert.IsType<StaleRun>(await Client.FinalizeAsync("worker", "not-the-run", RunOutcome.Completed, TestTimeout()));
    }
}
