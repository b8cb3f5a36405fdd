using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.TestKit;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using Bamboo.Actors.TestSupport;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.ExecutorSignals;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Serialization;

/// <summary>
/// Two ActorSystems connected by Akka.Remote: the runners live in this spec's system (A), the executor and a
/// subscriber in a second system (B). Every message between them crosses the wire through the serializer.
/// </summary>
public sealed class RemoteRunnerSpecs : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Config RemoteConfig = ConfigurationFactory.ParseString("""
        akka.test.single-expect-default = 10s
        akka.loglevel = INFO
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
        """).WithFallback(FallbackGuardSerializer.Config);

    private readonly ActorSystem _systemB;
    private readonly IActorRef _supervisor;
    private readonly TestProbe _logs;

    public RemoteRunnerSpecs(ITestOutputHelper output) : base(RemoteConfig, "RemoteA", output)
    {
        _supervisor = Sys.ActorOf(RunnerSupervisor.Props(RunnerSettings.Default), "runners");
        _systemB = ActorSystem.Create("RemoteB", RemoteConfig);
        _logs = CreateTestProbe();
        Sys.EventStream.Subscribe(_logs.Ref, typeof(Error));
        _systemB.EventStream.Subscribe(_logs.Ref, typeof(Error));
    }

    [Fact]
    public void Should_reserve_from_another_node_cancel_its_executor_there_and_end_the_run_when_the_executor_is_lost()
    {
        var executor = CreateTestProbe(_systemB, "executor");
        var callerInB = CreateTestProbe(_systemB, "caller");
        var subscriberInB = CreateTestProbe(_systemB, "subscriber");
        var supervisorSeenFromB = SupervisorSeenFrom(_systemB);
        var eventsInA = CreateTestProbe();
        _supervisor.Tell(new Subscribe("remote-1", eventsInA.Ref), TestActor);
        ExpectMsg<Subscribed>();

        // B reserves a run at A with an executor living in B.
        supervisorSeenFromB.Tell(new Reserve("remote-1", ConflictPolicy.Reject, executor.Ref, TimeSpan.FromMinutes(5)), callerInB.Ref);
        var run = callerInB.ExpectMsg<Reserved>();
        Assert.Equal("remote-1", run.SessionId);
        supervisorSeenFromB.Tell(new Subscribe("remote-1", subscriberInB.Ref, AfterSequence: 0), callerInB.Ref);
        Assert.Equal(new Subscribed("remote-1", 1), callerInB.ExpectMsg<Subscribed>());
        Assert.IsType<ExecutionStarted>(subscriberInB.ExpectMsg<AgentEvent>());

        // The executor in B publishes; A and B subscribers see the stamped event.
        supervisorSeenFromB.Tell(new Publish("remote-1", run.RunId, new TokenDelta("from B"), Acknowledge: true), executor.Ref);
        Assert.Equal(new Published("remote-1", run.RunId, 2, false), executor.ExpectMsg<Published>());
        Assert.IsType<ExecutionStarted>(eventsInA.ExpectMsg<AgentEvent>());
        var deltaInA = Assert.IsType<TokenDelta>(eventsInA.ExpectMsg<AgentEvent>());
        var deltaInB = Assert.IsType<TokenDelta>(subscriberInB.ExpectMsg<AgentEvent>());
        Assert.Equal(deltaInA, deltaInB);
        Assert.Equal(("from B", 2L, run.RunId), (deltaInB.Text, deltaInB.Sequence, deltaInB.RunId));

        // A cancels: the signal reaches the executor in B.
        _supervisor.Tell(new Cancel("remote-1", Reason: "user pressed stop"), TestActor);
        Assert.Equal(new CancelRequested("remote-1", run.RunId), ExpectMsg<CancelRequested>());
        Assert.Equal(new CancelRun("remote-1", run.RunId, "user pressed stop"), executor.ExpectMsg<CancelRun>());
        Assert.Equal("user pressed stop", Assert.IsType<RunCancelling>(subscriberInB.ExpectMsg<AgentEvent>()).Reason);
        _logs.ExpectNoMsg(TimeSpan.Zero);

        // The executor dies in B: A ends the run.
        _systemB.Stop(executor.Ref);

        Assert.IsType<RunCancelling>(eventsInA.ExpectMsg<AgentEvent>());
        var finished = Assert.IsType<ExecutionFinished>(eventsInA.ExpectMsg<AgentEvent>(TimeSpan.FromSeconds(5)));
        Assert.Equal((RunStatus.Error, "executor lost", run.RunId), (finished.Status, finished.Error, finished.RunId));
        Assert.Equal(finished, subscriberInB.ExpectMsg<ExecutionFinished>());
        supervisorSeenFromB.Tell(new GetStatus("remote-1"), callerInB.Ref);
        var snapshot = callerInB.ExpectMsg<RunnerSnapshot>();
        Assert.Equal((RunStatus.Error, "executor lost", 2), (snapshot.Status, snapshot.Error, snapshot.SubscriberCount));
        _logs.ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void Should_answer_a_malformed_command_from_another_node()
    {
        var callerInB = CreateTestProbe(_systemB, "caller");

        SupervisorSeenFrom(_systemB).Tell(new Finalize("remote-2", "", RunOutcome.Completed), callerInB.Ref);

        Assert.Equal(new InvalidCommand("remote-2", "runId is required"), callerInB.ExpectMsg<InvalidCommand>());
        _logs.ExpectNoMsg(TimeSpan.Zero);
    }

    /// <summary>The supervisor of A, as a remote reference resolved in <paramref name="system"/>.</summary>
    private IActorRef SupervisorSeenFrom(ActorSystem system)
    {
        var address = ((ExtendedActorSystem)Sys).Provider.DefaultAddress;
        return ((ExtendedActorSystem)system).Provider.ResolveActorRef(_supervisor.Path.ToStringWithAddress(address));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Shutdown(_systemB, TimeSpan.FromSeconds(5));
        base.Dispose(disposing);
    }
}
