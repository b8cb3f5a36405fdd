using Akka.Actor;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Scenarios;

// Scenarios again with in-memory runners on SessionMailbox, the mailbox hosted runners use: the queue must change no
// behaviour (order, passivation hand-back, executor deaths).

/// <summary>PublishSpecs, with runners on <see cref="SessionMailbox"/>.</summary>
public sealed class SessionMailboxPublishSpecs(ITestOutputHelper output) : PublishSpecs(output)
{
    protected override bool SessionMailbox => true;

    [Fact]
    public void Should_run_the_session_on_the_session_mailbox()
    {
        Supervisor.Tell(new GetStatus("on-mailbox"), TestActor);
        ExpectMsg<RunnerSnapshot>();
        var runner = Assert.IsType<LocalActorRef>(LastSender);

        Assert.IsType<SessionMessageQueue>(runner.Cell.Mailbox!.MessageQueue);
    }
}

/// <summary>SubscriptionSpecs, with runners on <see cref="SessionMailbox"/>.</summary>
public sealed class SessionMailboxSubscriptionSpecs(ITestOutputHelper output) : SubscriptionSpecs(output)
{
    protected override bool SessionMailbox => true;
}

/// <summary>EnqueueSpecs, with runners on <see cref="SessionMailbox"/>.</summary>
public sealed class SessionMailboxEnqueueSpecs(ITestOutputHelper output) : EnqueueSpecs(output)
{
    protected override bool SessionMailbox => true;
}

/// <summary>FinalizeSpecs, with runners on <see cref="SessionMailbox"/>.</summary>
public sealed class SessionMailboxFinalizeSpecs(ITestOutputHelper output) : FinalizeSpecs(output)
{
    protected override bool SessionMailbox => true;
}

/// <summary>PassivationSpecs, with runners on <see cref="SessionMailbox"/>.</summary>
public sealed class SessionMailboxPassivationSpecs(ITestOutputHelper output) : PassivationSpecs(output)
{
    protected override bool SessionMailbox => true;
}

/// <summary>ExecutorDeathSpecs, with runners on <see cref="SessionMailbox"/>.</summary>
public sealed class SessionMailboxExecutorDeathSpecs(ITestOutputHelper output) : ExecutorDeathSpecs(output)
{
    protected override bool SessionMailbox => true;
}

/// <summary>What an idle session keeps of the messages that made it idle.</summary>
public sealed class IdleSessionSpecs(ITestOutputHelper output) : RunnerSpec(output)
{
    [Fact]
    public void Should_let_go_of_the_sender_of_the_message_that_made_it_idle()
    {
        var finalizer = CreateTestProbe();
        var run = Reserve("forgetful");
        Supervisor.Tell(new Finalize("forgetful", run.RunId, RunOutcome.Completed), finalizer.Ref);
        finalizer.ExpectMsg<Finalized>();
        var runner = Assert.IsType<LocalActorRef>(finalizer.LastSender);

        // The cell would otherwise keep the finalizer (a lease's actor, an Ask's temporary actor) for the session's idle life.
        AwaitAssert(() => Assert.NotEqual(finalizer.Ref, runner.Cell.Sender), TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(20));
        Assert.Equal(RunStatus.Completed, Status("forgetful").Status);
    }
}
