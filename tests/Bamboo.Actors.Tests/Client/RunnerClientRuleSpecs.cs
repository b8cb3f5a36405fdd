using Akka.Actor;
using Bamboo.Actors.Client;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Client;

/// <summary>
/// <see cref="IRunnerClient"/>'s one rule: every outcome a caller must expect — malformed input, no answer in time, a
/// terminated system — is a value; only programming errors (null arguments) and the caller's own cancellation throw.
/// </summary>
public sealed class RunnerClientRuleSpecs(ITestOutputHelper output) : FakeSessionSpec(output)
{
    public static TheoryData<string> Calls => ["cancel", "finalize", "publish", "reserve-external", "status"];

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task Should_answer_unavailable_when_the_session_does_not_answer_in_time(string call)
    {
        var answer = await Call(call, "s1").WaitAsync(TimeSpan.FromSeconds(10));

        Assert.IsAssignableFrom<IRunnerCommand>(await Session.ExpectMsgAsync<object>());
        Assert.Equal(new Unavailable("s1", RunnerClient.NoAnswer), answer);
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task Should_answer_a_malformed_session_id_as_invalid_without_sending_anything(string call)
    {
        var answer = await Call(call, "bad\nid");

        Assert.Contains("control", Assert.IsType<InvalidCommand>(answer).Reason);
        await Session.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Should_answer_malformed_input_as_invalid()
    {
        Assert.IsType<InvalidCommand>(await Client.FinalizeAsync("s1", "", RunOutcome.Completed));
        Assert.IsType<InvalidCommand>(await Client.PublishAsync("s1", "run-1", new ExecutionStarted()));
        Assert.IsType<InvalidCommand>(await Client.ReserveExternalAsync("s1", new ReserveOptions { Deadline = TimeSpan.FromDays(365) }));
        var lease = await Client.ReserveAsync("s1", new ReserveOptions { Deadline = TimeSpan.Zero });
        Assert.Equal((LeaseStatus.Invalid, "deadline must be positive"), (lease.Status, lease.Reason));
        var subscription = await Client.OpenSubscriptionAsync("s1", afterSequence: -1);
        Assert.Equal(SubscriptionStatus.Invalid, subscription.Status);
        await Session.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Should_throw_only_for_null_arguments_and_the_callers_cancellation()
    {
        await Assert.ThrowsAsync<ArgumentNullException>(() => Client.FinalizeAsync("s1", "run-1", null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Client.PublishAsync("s1", "run-1", null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Client.StartAsync("s1", null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Client.RunAsync("s1", null!));

        using var cancelled = new CancellationTokenSource();
        var reserving = Client.ReserveAsync("s1", cancellationToken: cancelled.Token);
        var status = Client.GetStatusAsync("s1", cancelled.Token);
        var subscribing = Client.OpenSubscriptionAsync("s1", cancellationToken: cancelled.Token);
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reserving);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => status);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => subscribing);
    }

    [Fact]
    public async Task Should_answer_unavailable_once_its_actor_system_has_terminated()
    {
        var system = ActorSystem.Create("terminated");
        var client = new RunnerClient(system, Session.Ref);
        await system.Terminate();

        Assert.Equal(new Unavailable("s1", RunnerClient.Terminated), await client.GetStatusAsync("s1"));
        var lease = await client.ReserveAsync("s1");
        Assert.Equal((LeaseStatus.Unavailable, RunnerClient.Terminated), (lease.Status, lease.Reason));
        Assert.Equal(SubscriptionStatus.Unavailable, (await client.OpenSubscriptionAsync("s1")).Status);
    }

    private Task<IRunnerReply> Call(string call, string sessionId) => call switch
    {
        "cancel" => Client.CancelAsync(sessionId, "run-1"),
        "finalize" => Client.FinalizeAsync(sessionId, "run-1", RunOutcome.Completed),
        "publish" => Client.PublishAsync(sessionId, "run-1", new TokenDelta("hi")),
        "reserve-external" => Client.ReserveExternalAsync(sessionId),
        "status" => Client.GetStatusAsync(sessionId),
        _ => throw new ArgumentOutOfRangeException(nameof(call)),
    };
}
