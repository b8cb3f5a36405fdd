using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Bamboo.Actors.Client;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Client;

/// <summary>
/// A <see cref="RunnerClient"/> whose supervisor is a test probe: the spec plays the session, so it decides what is
/// answered, when, by which runner, and what never is.
/// </summary>
public abstract class FakeSessionSpec : Akka.TestKit.Xunit2.TestKit
{
    /// <summary>The client's answer timeout: short, so a missing answer is seen quickly.</summary>
    protected static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(1);

    private static readonly Config TestConfig = ConfigurationFactory.ParseString("""
        akka.loglevel = INFO
        akka.test.single-expect-default = 10s
        """);

    protected FakeSessionSpec(ITestOutputHelper output, int subscriptionBuffer = 1024) : base(TestConfig, output: output)
    {
        Session = CreateTestProbe("session");
        Runner = CreateTestProbe("runner");
        Client = new RunnerClient(Sys, Session.Ref, ClientSettings.Default with { AskTimeout = AnswerTimeout, SubscriptionBuffer = subscriptionBuffer });
    }

    /// <summary>Plays the supervisor: every command the client sends arrives here.</summary>
    protected TestProbe Session { get; }

    /// <summary>Plays the session's runner: the sender of the session's answers.</summary>
    protected TestProbe Runner { get; }

    protected RunnerClient Client { get; }

    /// <summary>Reserves through the client, answers <see cref="Reserved"/> from <see cref="Runner"/>, returns the active lease.</summary>
    protected async Task<RunLease> ActiveLeaseAsync(string sessionId = "s1", string runId = "run-1")
    {
        var reserving = Client.ReserveAsync(sessionId);
        var reserve = await Session.ExpectMsgAsync<Reserve>();
        reserve.Executor!.Tell(new Reserved(sessionId, runId, DateTimeOffset.UtcNow), Runner.Ref);
        var lease = await reserving;
        Assert.Equal(LeaseStatus.Active, lease.Status);
        return lease;
    }

    /// <summary>Reserves through the client, answers <see cref="Queued"/> from <see cref="Runner"/>, returns the queued lease.</summary>
    protected async Task<RunLease> QueuedLeaseAsync(string sessionId = "s1", string runId = "run-2")
    {
        var reserving = Client.ReserveAsync(sessionId);
        var reserve = await Session.ExpectMsgAsync<Reserve>();
        reserve.Executor!.Tell(new Queued(sessionId, runId, 1), Runner.Ref);
        var lease = await reserving;
        Assert.Equal(LeaseStatus.Queued, lease.Status);
        return lease;
    }

    /// <summary>Waits until <paramref name="token"/> fires.</summary>
    protected static Task WhenCancelled(CancellationToken token) =>
        Task.Delay(Timeout.InfiniteTimeSpan, token).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(10));
}
