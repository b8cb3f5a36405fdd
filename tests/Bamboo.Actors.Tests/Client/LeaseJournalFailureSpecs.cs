using Akka.Actor;
using Akka.Configuration;
using Bamboo.Actors.Client;
using Bamboo.Actors.Configuration;
using Bamboo.Actors.Events;
using Bamboo.Actors.Hosting;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using Bamboo.Actors.Tests.Persistence;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Client;

/// <summary>
/// A durable session whose write fails while a lease publishes and finalizes: its runner answers Unavailable and
/// leaves, handing the commands that waited behind the write to its next incarnation. The lease's finalize — idempotent
/// by run id — is sent again, and recorded once; the publish whose write failed is lost, the ones after it are not.
/// </summary>
[Collection(nameof(JournalFailureSpecs))]
public sealed class LeaseJournalFailureSpecs : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Config Hocon = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.test.single-expect-default = 10s
        bamboo.runners.journal-plugin = "bamboo-test.outage-journal"
        bamboo-test.outage-journal {
          class = "Bamboo.Actors.Tests.Persistence.OutageJournal, Bamboo.Actors.Tests"
          plugin-dispatcher = "akka.actor.default-dispatcher"
        }
        """).WithFallback(BambooPersistence.ToHocon(new BambooPersistenceOptions { Mode = BambooPersistenceMode.InMemory }))
        .WithFallback(BambooConfig.Default);

    private readonly RunnerClient _client;
    private readonly Akka.TestKit.TestProbe _events;

    public LeaseJournalFailureSpecs(ITestOutputHelper output) : base(Hocon, output: output)
    {
        OutageJournal.Down = false;
        OutageJournal.Stall = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        OutageJournal.Stalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var supervisor = Sys.ActorOf(RunnerSupervisor.Props(BambooConfig.RunnerSettings(Sys)), "runners");
        // A short answer timeout: a finalize whose own write failed is sent again once it passes.
        _client = new RunnerClient(Sys, supervisor, ClientSettings.Default with { AskTimeout = TimeSpan.FromSeconds(1) });
        _events = CreateTestProbe();
        Sys.EventStream.Subscribe(_events.Ref, typeof(AgentEvent));
    }

    [Fact]
    public async Task Should_record_its_finalize_once_when_the_finalize_write_fails_and_the_runner_leaves()
    {
        await using var lease = await _client.ReserveAsync("s1");
        Assert.Equal(LeaseStatus.Active, lease.Status);
        OutageJournal.Down = true;

        var completing = lease.CompleteAsync();
        await OutageJournal.Stalled!.Task.WaitAsync(TimeSpan.FromSeconds(10));
        // The database comes back, but this write has already failed: the runner answers Unavailable and leaves.
        OutageJournal.Down = false;
        OutageJournal.Stall!.SetResult();

        var result = await completing.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((LeaseStatus.Ended, RunStatus.Completed, false), (result.Reservation, result.Status, result.Fenced));
        Assert.Equal(RunStatus.Completed, Assert.IsType<RunnerSnapshot>(await _client.GetStatusAsync("s1")).Status);
        await ExpectFinishedOnce(lease.RunId!);
    }

    [Fact]
    public async Task Should_keep_its_later_publishes_and_record_its_finalize_once_when_a_publish_write_fails()
    {
        await using var lease = await _client.ReserveAsync("s2");
        // The run's first event reserved sequences up to 1024: the publish that takes sequence 1025 writes.
        for (var i = 2; i <= RunnerState<IActorRef>.SequenceBlock; i++) await lease.PublishAsync(new TokenDelta("."));
        Assert.Equal(RunnerState<IActorRef>.SequenceBlock, Assert.IsType<RunnerSnapshot>(await _client.GetStatusAsync("s2")).LastSequence);
        OutageJournal.Down = true;

        await lease.PublishAsync(new TokenDelta("lost"));
        await OutageJournal.Stalled!.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await lease.PublishAsync(new TokenDelta("kept"));
        var completing = lease.CompleteAsync();
        // The finalize has left the lease's actor, and the supervisor has passed it on: it waits behind the write.
        await AwaitConditionAsync(() => Task.FromResult(lease.AnswerDue != 0));
        await _client.GetStatusAsync("elsewhere");
        OutageJournal.Down = false;
        OutageJournal.Stall!.SetResult();

        // The Unavailable answers the publish, not the finalize: the finalize waited, was handed on, and is recorded once.
        var result = await completing.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((LeaseStatus.Ended, RunStatus.Completed, false), (result.Reservation, result.Status, result.Fenced));
        var texts = await ExpectFinishedOnce(lease.RunId!);
        Assert.Equal(1, texts.Count(text => text == "kept"));
        Assert.DoesNotContain("lost", texts);
        Assert.False(lease.CancellationToken.IsCancellationRequested);
    }

    /// <summary>Reads the run's events up to its end, checks nothing follows, and returns the texts published.</summary>
    private async Task<List<string>> ExpectFinishedOnce(string runId)
    {
        var texts = new List<string>();
        while (true)
        {
            var evt = await _events.ExpectMsgAsync<AgentEvent>();
            if (evt.RunId != runId) continue;
            if (evt is TokenDelta delta) texts.Add(delta.Text);
            if (evt is ExecutionFinished finished)
            {
                Assert.Equal(RunStatus.Completed, finished.Status);
                break;
            }
        }
        // Nothing follows: no second end, no event of a finalize recorded twice.
        await _events.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        return texts;
    }

    protected override void Dispose(bool disposing)
    {
        OutageJournal.Down = false;
        OutageJournal.Stall?.TrySetResult();
        OutageJournal.Stall = null;
        OutageJournal.Stalled = null;
        base.Dispose(disposing);
    }
}
