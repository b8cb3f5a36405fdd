using Akka.Actor;
using Akka.Configuration;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Scenarios;

/// <summary>A local-mode <see cref="RunnerSupervisor"/> in a fresh ActorSystem, with helpers for the common steps.</summary>
public abstract class RunnerSpec : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Config TestConfig = ConfigurationFactory.ParseString("""
        akka.loglevel = INFO
        # Generous waits for a loaded CI machine; a passing expectation returns as soon as its message arrives.
        akka.test.single-expect-default = 10s
        akka.actor.debug.unhandled = on
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        bamboo.session-mailbox.mailbox-type = "Bamboo.Actors.Runners.SessionMailbox, Bamboo.Actors"
        """);

    protected RunnerSpec(ITestOutputHelper output, RunnerSettings? settings = null) : this(output, settings, null)
    {
    }

    /// <summary>As the default spec, with <paramref name="config"/> taking precedence over the test configuration.</summary>
    protected RunnerSpec(ITestOutputHelper output, RunnerSettings? settings, Config? config)
        : base(config is null ? TestConfig : config.WithFallback(TestConfig), output: output)
    {
        // Durable is virtual: a subclass runs the same scenarios with event-sourced sessions.
        Settings = (settings ?? RunnerSettings.Default) with { Durable = Durable, SessionMailbox = SessionMailbox };
        Supervisor = Sys.ActorOf(RunnerSupervisor.Props(Settings), "runners");
    }

    /// <summary>Whether sessions are event-sourced (<see cref="DurableSessionRunner"/>, in-memory journal).</summary>
    protected virtual bool Durable => false;

    /// <summary>Whether in-memory runners use <see cref="Runners.SessionMailbox"/> (as hosted ones do) instead of Akka's default.</summary>
    protected virtual bool SessionMailbox => false;

    protected RunnerSettings Settings { get; }

    protected IActorRef Supervisor { get; }

    /// <summary>Reserves a run for <paramref name="sessionId"/> and expects it to be granted.</summary>
    protected Reserved Reserve(string sessionId, IActorRef? executor = null, TimeSpan? deadline = null,
        ConflictPolicy policy = ConflictPolicy.Reject)
    {
        Supervisor.Tell(new Reserve(sessionId, policy, executor, deadline), TestActor);
        return ExpectMsg<Reserved>();
    }

    /// <summary>Sends <paramref name="command"/> from the test actor and expects a reply of type <typeparamref name="T"/>.</summary>
    protected T Ask<T>(IRunnerCommand command)
    {
        Supervisor.Tell(command, TestActor);
        return ExpectMsg<T>();
    }

    protected RunnerSnapshot Status(string sessionId) => Ask<RunnerSnapshot>(new GetStatus(sessionId));

    /// <summary>A probe subscribed to <paramref name="sessionId"/>, after its <see cref="Subscribed"/> acknowledgement.</summary>
    protected Akka.TestKit.TestProbe Subscriber(string sessionId, long? afterSequence = null)
    {
        var probe = CreateTestProbe();
        Supervisor.Tell(new Subscribe(sessionId, probe.Ref, afterSequence), probe.Ref);
        probe.ExpectMsg<Subscribed>();
        return probe;
    }

    /// <summary>Expects the next event on <paramref name="probe"/> to be a <typeparamref name="T"/> of run <paramref name="runId"/>.</summary>
    protected static T ExpectEvent<T>(Akka.TestKit.TestProbe probe, string? runId = null) where T : AgentEvent
    {
        var evt = probe.ExpectMsg<AgentEvent>();
        var typed = Assert.IsType<T>(evt);
        if (runId is not null) Assert.Equal(runId, typed.RunId);
        return typed;
    }
}
