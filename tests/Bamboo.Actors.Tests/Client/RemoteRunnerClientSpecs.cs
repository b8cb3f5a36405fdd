using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Bamboo.Actors.Client;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.TestSupport;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;
using static Bamboo.Actors.Tests.Client.SubscriptionReading;

namespace Bamboo.Actors.Tests.Client;

/// <summary>
/// Leases and subscriptions whose session runner lives on another node (two ActorSystems over Akka.Remote; the spec
/// plays the session in this one, the client runs in the other). When that runner stops, the client does not guess from
/// configuration what became of the run or of the numbering: the lease asks the session, and keeps running only if the
/// session still has the run; the subscription keeps its cursor only while the numbering comes from the same node.
/// </summary>
public sealed class RemoteRunnerClientSpecs : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Config RemoteConfig = ConfigurationFactory.ParseString("""
        akka.test.single-expect-default = 10s
        akka.loglevel = INFO
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
        """).WithFallback(FallbackGuardSerializer.Config);

    private readonly ActorSystem _clientSystem;
    private readonly TestProbe _session;
    private readonly RunnerClient _client;

    public RemoteRunnerClientSpecs(ITestOutputHelper output) : base(RemoteConfig, "Session", output)
    {
        _session = CreateTestProbe("supervisor");
        _clientSystem = ActorSystem.Create("Client", RemoteConfig);
        var address = ((ExtendedActorSystem)Sys).Provider.DefaultAddress;
        var supervisor = ((ExtendedActorSystem)_clientSystem).Provider.ResolveActorRef(_session.Ref.Path.ToStringWithAddress(address));
        _client = new RunnerClient(_clientSystem, supervisor, ClientSettings.Default with { AskTimeout = TimeSpan.FromSeconds(1) });
    }

    [Fact]
    public async Task Should_keep_its_run_when_the_session_still_has_it_after_the_runner_stopped()
    {
        var runner = CreateTestProbe();
        var lease = await ActiveLeaseAsync(runner);

        Sys.Stop(runner.Ref);
        await _session.ExpectMsgAsync<GetStatus>();
        // A durable session's next incarnation recovered the run.
        var next = CreateTestProbe();
        _session.LastSender.Tell(Snapshot(RunStatus.Running, "run-1"), next.Ref);

        // The lease watches the runner that answered: when that one stops too, it asks again.
        Sys.Stop(next.Ref);
        await _session.ExpectMsgAsync<GetStatus>();
        Assert.False(lease.CancellationToken.IsCancellationRequested);
        _session.LastSender.Tell(Snapshot(RunStatus.Running, "run-1"), CreateTestProbe().Ref);

        var completing = lease.CompleteAsync();
        await _session.ExpectMsgAsync<Finalize>();
        _session.Reply(new Finalized("s1", "run-1", RunStatus.Completed));
        Assert.Equal((RunStatus.Completed, false), ((await completing).Status, (await completing).Fenced));
        Assert.False(lease.CancellationToken.IsCancellationRequested);
    }

    [Fact]
    public async Task Should_fire_its_token_when_the_session_no_longer_has_the_run_after_the_runner_stopped()
    {
        var runner = CreateTestProbe();
        var lease = await ActiveLeaseAsync(runner);

        Sys.Stop(runner.Ref);
        await _session.ExpectMsgAsync<GetStatus>();
        // An in-memory session's next incarnation starts from nothing.
        _session.LastSender.Tell(Snapshot(RunStatus.Pending, null), CreateTestProbe().Ref);

        await WhenCancelled(lease.CancellationToken);
        Assert.Equal(LeaseActor.RunnerLost, lease.CancellationReason);
        var completing = lease.CompleteAsync();
        await _session.ExpectMsgAsync<Finalize>();
        _session.Reply(new StaleRun("s1", "run-1", null));
        Assert.True((await completing).Fenced);
    }

    [Fact]
    public async Task Should_fire_its_token_when_the_session_does_not_answer_after_the_runner_stopped()
    {
        var runner = CreateTestProbe();
        var lease = await ActiveLeaseAsync(runner);

        Sys.Stop(runner.Ref);

        for (var attempt = 0; attempt < 3; attempt++) await _session.ExpectMsgAsync<GetStatus>();
        await WhenCancelled(lease.CancellationToken);
        Assert.Equal(LeaseActor.RunnerLost, lease.CancellationReason);
    }

    [Fact]
    public async Task Should_finalize_again_through_the_supervisor_when_the_runner_stops_while_finalizing()
    {
        var runner = CreateTestProbe();
        var lease = await ActiveLeaseAsync(runner);
        var completing = lease.CompleteAsync();
        await _session.ExpectMsgAsync<Finalize>();

        // The runner stopped before answering (its node is handed off or lost): finalize is idempotent by run id.
        Sys.Stop(runner.Ref);
        var again = await _session.ExpectMsgAsync<Finalize>();
        Assert.Equal(("run-1", RunOutcome.Completed), (again.RunId, again.Outcome));
        _session.Reply(new Finalized("s1", "run-1", RunStatus.Completed));

        var result = await completing;
        Assert.Equal((LeaseStatus.Ended, RunStatus.Completed, false), (result.Reservation, result.Status, result.Fenced));
    }

    [Fact]
    public async Task Should_refuse_a_queued_lease_when_the_session_lost_its_queue_with_the_runner()
    {
        var runner = CreateTestProbe();
        var reserving = _client.ReserveAsync("s1", new ReserveOptions { OnConflict = ConflictPolicy.Enqueue });
        var reserve = await _session.ExpectMsgAsync<Reserve>();
        reserve.Executor!.Tell(new Queued("s1", "run-2", 1), runner.Ref);
        var lease = await reserving;

        Sys.Stop(runner.Ref);
        await _session.ExpectMsgAsync<GetStatus>();
        _session.LastSender.Tell(Snapshot(RunStatus.Pending, null), CreateTestProbe().Ref);

        Assert.Equal(LeaseStatus.Rejected, await lease.WhenStarted.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(LeaseActor.RunnerLost, lease.Reason);
    }

    [Fact]
    public async Task Should_start_a_queued_lease_whose_run_the_stopped_runner_started_without_a_word_reaching_it()
    {
        var (lease, runner) = await QueuedLeaseAsync();

        // The runner started the run and crashed before its word reached the lease; the next incarnation recovered it.
        Sys.Stop(runner.Ref);
        await _session.ExpectMsgAsync<GetStatus>();
        _session.LastSender.Tell(Snapshot(RunStatus.Running, "run-2"), CreateTestProbe().Ref);

        Assert.Equal(LeaseStatus.Active, await lease.WhenStarted.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("run-2", lease.RunId);
        var completing = lease.CompleteAsync();
        var finalize = await _session.ExpectMsgAsync<Finalize>();
        Assert.Equal("run-2", finalize.RunId);
        _session.Reply(new Finalized("s1", "run-2", RunStatus.Completed));
        Assert.Equal((RunStatus.Completed, false), ((await completing).Status, (await completing).Fenced));
    }

    [Fact]
    public async Task Should_end_a_queued_lease_whose_run_started_and_ended_while_its_word_was_lost()
    {
        var (lease, runner) = await QueuedLeaseAsync();

        Sys.Stop(runner.Ref);
        await _session.ExpectMsgAsync<GetStatus>();
        // The next incarnation found the run started, and its executor silent since: it ended it.
        _session.LastSender.Tell(Snapshot(RunStatus.Error, "run-2") with { Error = "lost on restart" }, CreateTestProbe().Ref);

        Assert.Equal(LeaseStatus.Active, await lease.WhenStarted.WaitAsync(TimeSpan.FromSeconds(10)));
        var result = await lease.Result.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((LeaseStatus.Ended, RunStatus.Error, "lost on restart", true), (result.Reservation, result.Status, result.Error, result.Fenced));
    }

    /// <summary>A lease queued as run-2 by a remote runner (the probe returned).</summary>
    private async Task<(RunLease Lease, TestProbe Runner)> QueuedLeaseAsync()
    {
        var runner = CreateTestProbe();
        var reserving = _client.ReserveAsync("s1", new ReserveOptions { OnConflict = ConflictPolicy.Enqueue });
        var reserve = await _session.ExpectMsgAsync<Reserve>();
        reserve.Executor!.Tell(new Queued("s1", "run-2", 1), runner.Ref);
        return (await reserving, runner);
    }

    [Fact]
    public async Task Should_keep_the_subscriptions_cursor_when_the_next_runner_is_on_the_same_node()
    {
        var (subscription, subscriber, runner) = await OpenSubscriptionAsync();

        Sys.Stop(runner.Ref);
        var again = await _session.ExpectMsgAsync<Subscribe>();
        Assert.Equal(3, again.AfterSequence);
        var next = CreateTestProbe();
        subscriber.Tell(new Subscribed("s1", 3), next.Ref);
        Send(subscriber, next, 4);

        Assert.Equal([4L], await Read(subscription, 1));
        await _session.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Should_read_the_sessions_new_numbering_from_its_start_when_the_next_runner_is_on_another_node()
    {
        var (subscription, subscriber, runner) = await OpenSubscriptionAsync();

        Sys.Stop(runner.Ref);
        await _session.ExpectMsgAsync<Subscribe>();
        // The session moved to the client's own node, an in-memory one numbering afresh: 1 and 2 there are new events.
        var elsewhere = CreateTestProbe(_clientSystem);
        subscriber = ((ExtendedActorSystem)_clientSystem).Provider.ResolveActorRef(subscriber.Path);
        subscriber.Tell(new Subscribed("s1", 2), elsewhere.Ref);
        Send(subscriber, elsewhere, 1, 2);
        var rebased = await _session.ExpectMsgAsync<Subscribe>();
        Assert.Equal(0, rebased.AfterSequence);
        subscriber.Tell(new Subscribed("s1", 2), elsewhere.Ref);
        // Its replay from the start: a gap for numbers it never used up to the old cursor is not the reader's loss.
        subscriber.Tell(new ReplayGap(1, 1) { SessionId = "s1", RunId = "run-2" }, elsewhere.Ref);
        Send(subscriber, elsewhere, 2, 3);

        Assert.Equal([2L, 3], await Read(subscription, 2));
    }

    [Fact]
    public async Task Should_keep_the_subscriptions_cursor_when_a_durable_sessions_next_runner_is_on_another_node()
    {
        var (subscription, subscriber, runner) = await OpenSubscriptionAsync();

        Sys.Stop(runner.Ref);
        var again = await _session.ExpectMsgAsync<Subscribe>();
        Assert.Equal(3, again.AfterSequence);
        // The session moved to the client's own node; a durable session numbers on from its journal there.
        var elsewhere = CreateTestProbe(_clientSystem);
        subscriber = ((ExtendedActorSystem)_clientSystem).Provider.ResolveActorRef(subscriber.Path);
        subscriber.Tell(new Subscribed("s1", 3, Durable: true), elsewhere.Ref);
        Send(subscriber, elsewhere, 4, 5);

        Assert.Equal([4L, 5], await Read(subscription, 2));
        await _session.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    private async Task<(IEventSubscription Subscription, IActorRef Subscriber, TestProbe Runner)> OpenSubscriptionAsync()
    {
        var runner = CreateTestProbe();
        var opening = _client.OpenSubscriptionAsync("s1");
        var subscribe = await _session.ExpectMsgAsync<Subscribe>();
        subscribe.Subscriber.Tell(new Subscribed("s1", 0), runner.Ref);
        var subscription = await opening;
        Send(subscribe.Subscriber, runner, 1, 2, 3);
        Assert.Equal([1L, 2, 3], await Read(subscription, 3));
        return (subscription, subscribe.Subscriber, runner);
    }



    private async Task<RunLease> ActiveLeaseAsync(TestProbe runner)
    {
        var reserving = _client.ReserveAsync("s1");
        var reserve = await _session.ExpectMsgAsync<Reserve>();
        reserve.Executor!.Tell(new Reserved("s1", "run-1", DateTimeOffset.UtcNow), runner.Ref);
        var lease = await reserving;
        Assert.Equal(LeaseStatus.Active, lease.Status);
        return lease;
    }

    private static RunnerSnapshot Snapshot(RunStatus status, string? runId) =>
        new("s1", status, runId, null, null, null, null, 0, null, null, false, 0, 0, 0, null);

    private static Task WhenCancelled(CancellationToken token) =>
        Task.Delay(Timeout.InfiniteTimeSpan, token).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(10));

    protected override void Dispose(bool disposing)
    {
        if (disposing) Shutdown(_clientSystem, TimeSpan.FromSeconds(5));
        base.Dispose(disposing);
    }
}
