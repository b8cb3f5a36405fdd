using Akka.Actor;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Routing;
using Bamboo.Actors.Runners;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Scenarios;

public class PassivationSpecs(ITestOutputHelper output)
    : RunnerSpec(output, RunnerSettings.Default with { IdleTimeout = TimeSpan.FromMilliseconds(300) })
{
    [Fact]
    public void Should_passivate_an_idle_session_and_leave_no_actor_behind()
    {
        var run = Reserve("idle");
        Ask<Finalized>(new Finalize("idle", run.RunId, RunOutcome.Completed));
        var runner = RunnerOf("idle");
        Watch(runner);

        ExpectTerminated(runner, TimeSpan.FromSeconds(3));

        // A new incarnation starts fresh in memory; a durable one recovers the finished run.
        var status = Status("idle");
        Assert.Equal(Durable ? (RunStatus.Completed, run.RunId) : (RunStatus.Pending, null), (status.Status, status.RunId));
    }

    [Fact]
    public void Should_number_events_of_the_next_incarnation_above_the_last_one_after_passivation()
    {
        var first = Reserve("renumbered");
        Ask<Finalized>(new Finalize("renumbered", first.RunId, RunOutcome.Completed));
        var lastBefore = Status("renumbered").LastSequence;
        var runner = RunnerOf("renumbered");
        Watch(runner);
        ExpectTerminated(runner, TimeSpan.FromSeconds(3));

        var subscriber = Subscriber("renumbered", afterSequence: lastBefore);
        var second = Reserve("renumbered");

        // A client resuming with the cursor it had never sees the numbering go backwards.
        var started = subscriber.ExpectMsg<Events.ExecutionStarted>();
        Assert.Equal(second.RunId, started.RunId);
        Assert.True(started.Sequence > lastBefore);
    }

    [Fact]
    public void Should_not_passivate_a_session_with_an_active_run()
    {
        var run = Reserve("busy");
        var runner = RunnerOf("busy");
        Watch(runner);

        ExpectNoMsg(TimeSpan.FromMilliseconds(900));

        Assert.Equal(run.RunId, Status("busy").RunId);
    }

    [Fact]
    public void Should_not_passivate_a_session_with_a_subscriber()
    {
        var subscriber = Subscriber("watched");
        var runner = RunnerOf("watched");
        Watch(runner);

        ExpectNoMsg(TimeSpan.FromMilliseconds(900));

        Sys.Stop(subscriber.Ref);
        ExpectTerminated(runner, TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void Should_passivate_after_the_active_run_ends()
    {
        var run = Reserve("ending");
        var runner = RunnerOf("ending");
        Watch(runner);
        ExpectNoMsg(TimeSpan.FromMilliseconds(500));

        Ask<Finalized>(new Finalize("ending", run.RunId, RunOutcome.Completed));

        ExpectTerminated(runner, TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void Should_lose_no_command_sent_while_the_session_passivates()
    {
        // Hammer a session across many passivation cycles; every command must still be answered.
        for (var round = 0; round < 5; round++)
        {
            var runner = RunnerOf("flapping");
            Watch(runner);
            ExpectTerminated(runner, TimeSpan.FromSeconds(3));
            for (var i = 0; i < 20; i++) Supervisor.Tell(new GetStatus("flapping"), TestActor);
            for (var i = 0; i < 20; i++) ExpectMsg<RunnerSnapshot>();
        }
    }

    private IActorRef RunnerOf(string sessionId)
    {
        Supervisor.Tell(new GetStatus(sessionId), TestActor);
        ExpectMsg<RunnerSnapshot>();
        return LastSender;
    }
}

/// <summary>The idle timeout counts from a session's last message, however many messages came before it.</summary>
public class IdleTimeoutSpecs(ITestOutputHelper output)
    : RunnerSpec(output, RunnerSettings.Default with { IdleTimeout = TimeSpan.FromSeconds(3) })
{
    [Fact]
    public void Should_keep_a_session_that_is_read_within_every_idle_timeout_and_passivate_it_once_quiet()
    {
        Supervisor.Tell(new GetStatus("read"), TestActor);
        ExpectMsg<RunnerSnapshot>();
        var runner = LastSender;
        Watch(runner);

        // Twice the idle timeout in all, never more than a twentieth of it without a message: the runner must stay.
        // (The timeout is long enough that a loaded machine's stalls do not add up to it between two reads.)
        for (var i = 0; i < 40; i++)
        {
            ExpectNoMsg(TimeSpan.FromMilliseconds(150));
            Status("read");
        }

        ExpectTerminated(runner, TimeSpan.FromSeconds(10));
    }
}

public class SessionIdSpecs(ITestOutputHelper output) : RunnerSpec(output)
{
    private static readonly string[] Ids =
    [
        "a/b", "$x", "..", ".", " spaced out ", "emoji-🎋-🐼", "Case", "case", "CASE", "%2F", "a%2Fb", "名前", "#?&=+",
        new string('x', SessionIds.MaxLength), "\"quoted\"", "back\\slash", "~tilde~", "-", "_",
    ];

    public static TheoryData<string> OddIds => new(Ids);

    [Theory]
    [MemberData(nameof(OddIds))]
    public void Should_run_a_session_with_an_odd_id(string sessionId)
    {
        var run = Reserve(sessionId);

        var status = Status(sessionId);
        Assert.Equal(sessionId, status.SessionId);
        Assert.Equal(run.RunId, status.RunId);
        Assert.Equal(sessionId, SessionIds.FromEntityId(LastSender.Path.Name));
    }

    [Fact]
    public void Should_keep_every_odd_id_a_distinct_session()
    {
        var ids = Ids;
        var runs = ids.ToDictionary(id => id, id => Reserve(id).RunId);

        foreach (var id in ids) Assert.Equal(runs[id], Status(id).RunId);
        Assert.Equal(ids.Length, runs.Values.Distinct().Count());
    }
}

public class BadInputSpecs(ITestOutputHelper output) : RunnerSpec(output)
{
    public static TheoryData<string, object> BadCommands => new()
    {
        { "empty session id", new Reserve("") },
        { "null session id", new GetStatus(null!) },
        { "session id too long", new Reserve(new string('x', SessionIds.MaxLength + 1)) },
        { "control character", new Reserve("a\nb") },
        { "NUL character", new GetStatus("a\0b") },
        { "unpaired surrogate", new Reserve("a\uD800b") },
        { "unknown policy", new Reserve("s1", (ConflictPolicy)42) },
        { "zero deadline", new Reserve("s1", Deadline: TimeSpan.Zero) },
        { "negative deadline", new Reserve("s1", Deadline: TimeSpan.FromSeconds(-1)) },
        { "absurd deadline", new Reserve("s1", Deadline: TimeSpan.MaxValue) },
        { "finalize without run id", new Finalize("s1", "", RunOutcome.Completed) },
        { "finalize without outcome", new Finalize("s1", "r", null!) },
        { "cancel with empty run id", new Cancel("s1", "") },
        { "publish without event", new Publish("s1", "r", null!) },
        { "publish lifecycle event", new Publish("s1", "r", new Events.ExecutionFinished(RunStatus.Completed)) },
        { "publish tool without name", new Publish("s1", "r", new Events.ToolStarted("")) },
        { "publish negative round", new Publish("s1", "r", new Events.RunnerProgress(-1)) },
        { "subscribe without subscriber", new Subscribe("s1", null!) },
        { "subscribe with negative cursor", new Subscribe("s1", ActorRefs.Nobody, -5) },
        { "not a command", "hello" },
    };

    [Theory]
    [MemberData(nameof(BadCommands))]
    public void Should_answer_InvalidCommand_and_create_nothing(string because, object command)
    {
        Supervisor.Tell(command, TestActor);

        var invalid = ExpectMsg<InvalidCommand>();
        Assert.False(string.IsNullOrWhiteSpace(invalid.Reason), because);
        // No session runner exists: a wildcard selection of the supervisor's children finds nobody.
        Sys.ActorSelection(Supervisor.Path / "*").Tell(new Identify(because), TestActor);
        Assert.Null(ExpectMsg<ActorIdentity>().Subject);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Should_leave_an_existing_session_unchanged_after_bad_input()
    {
        var run = Reserve("s1");
        var before = Status("s1");

        Supervisor.Tell(new Publish("s1", run.RunId, new Events.ExecutionStarted()), TestActor);
        ExpectMsg<InvalidCommand>();
        Supervisor.Tell(new Reserve("s1", (ConflictPolicy)9), TestActor);
        ExpectMsg<InvalidCommand>();

        Assert.Equal(before, Status("s1"));
    }
}
