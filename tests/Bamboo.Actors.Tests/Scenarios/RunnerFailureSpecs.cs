using Akka.Actor;
using Akka.Dispatch.SysMsg;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.ExecutorSignals;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Scenarios;

/// <summary>
/// A runner that fails (a bug, an actor reference that cannot be watched) stops rather than restarting in place: its
/// run ends and its executor hears so, its subscribers see it go, and its next incarnation numbers events above its
/// last sequence — nobody is left subscribed to a runner that forgot them, and no cursor goes backwards.
/// </summary>
public sealed class RunnerFailureSpecs(ITestOutputHelper output) : RunnerSpec(output)
{
    [Fact]
    public void Should_stop_end_its_run_tell_its_watchers_and_keep_numbering_when_a_runner_fails()
    {
        var executor = CreateTestProbe();
        var subscriber = CreateTestProbe();
        var run = Reserve("failing", executor.Ref);
        Supervisor.Tell(new Subscribe("failing", subscriber.Ref), TestActor);
        ExpectMsg<Subscribed>();
        var runner = LastSender;
        subscriber.Watch(runner);
        subscriber.ExpectMsg<ExecutionStarted>();
        Supervisor.Tell(new Publish("failing", run.RunId, new TokenDelta("hello")), executor.Ref);
        var lastBefore = subscriber.ExpectMsg<TokenDelta>().Sequence;

        // Watching this executor throws inside the runner.
        Supervisor.Tell(new Reserve("failing", ConflictPolicy.Enqueue, new UnwatchableRef(Sys)), TestActor);
        var queued = ExpectMsg<Queued>();

        var cancel = executor.ExpectMsg<CancelRun>();
        Assert.StartsWith("runner failed", cancel.Reason);
        // The queued run is withdrawn first, then the active one ends.
        Assert.Equal(queued.RunId, subscriber.ExpectMsg<ExecutionFinished>().RunId);
        var finished = subscriber.ExpectMsg<ExecutionFinished>();
        Assert.Equal((run.RunId, RunStatus.Error), (finished.RunId, finished.Status));
        subscriber.ExpectTerminated(runner);
        Assert.Equal(queued.RunId, ExpectMsg<Rejected>().RunId);

        var next = Reserve("failing");
        Supervisor.Tell(new Subscribe("failing", subscriber.Ref, AfterSequence: 0), TestActor);
        ExpectMsg<Subscribed>();
        // What the failed incarnation numbered is gone from memory: said honestly, then the new run's events.
        var gap = subscriber.ExpectMsg<ReplayGap>();
        Assert.Equal((1, finished.Sequence), (gap.FromSequence, gap.ToSequence));
        var started = subscriber.ExpectMsg<ExecutionStarted>();
        Assert.Equal(next.RunId, started.RunId);
        Assert.True(started.Sequence > finished.Sequence && finished.Sequence > lastBefore,
            $"sequences went backwards: {lastBefore}, {finished.Sequence}, then {started.Sequence}");
    }

    /// <summary>An actor reference that refuses to be watched: a stand-in for any fault inside a runner.</summary>
    internal sealed class UnwatchableRef(ActorSystem system) : MinimalActorRef
    {
        public override ActorPath Path { get; } = new RootActorPath(((ExtendedActorSystem)system).Provider.DefaultAddress) / "unwatchable";

        public override IActorRefProvider Provider { get; } = ((ExtendedActorSystem)system).Provider;

        public override void SendSystemMessage(ISystemMessage message) => throw new InvalidOperationException("this reference cannot be watched");
    }
}
