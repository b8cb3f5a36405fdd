using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Scenarios;

public class ReserveSpecs(ITestOutputHelper output) : RunnerSpec(output)
{
    [Fact]
    public void Should_reserve_a_running_run_with_a_fresh_uuid_v4_run_id()
    {
        var before = DateTimeOffset.UtcNow;
        var reserved = Reserve("s1");

        Assert.Equal("s1", reserved.SessionId);
        Assert.True(Guid.TryParse(reserved.RunId, out var guid));
        Assert.Equal(4, guid.Version);
        Assert.InRange(reserved.StartedAt, before, DateTimeOffset.UtcNow);
        var status = Status("s1");
        Assert.Equal(RunStatus.Running, status.Status);
        Assert.Equal(reserved.RunId, status.RunId);
        Assert.Equal(reserved.StartedAt, status.StartedAt);
    }

    [Fact]
    public void Should_reply_AlreadyRunning_with_the_existing_run_id_when_session_has_active_run()
    {
        var first = Reserve("s1");

        var conflict = Ask<AlreadyRunning>(new Reserve("s1"));

        Assert.Equal(first.RunId, conflict.RunId);
        Assert.Equal(first.RunId, Status("s1").RunId);
    }

    [Fact]
    public void Should_start_a_new_run_with_a_new_run_id_once_the_previous_one_is_terminal()
    {
        var first = Reserve("s1");
        Ask<Finalized>(new Finalize("s1", first.RunId, RunOutcome.Completed));

        var second = Reserve("s1");

        Assert.NotEqual(first.RunId, second.RunId);
        var status = Status("s1");
        Assert.Equal(RunStatus.Running, status.Status);
        Assert.Null(status.CompletedAt);
    }

    [Fact]
    public void Should_keep_sessions_independent()
    {
        var a = Reserve("a");
        var b = Reserve("b");

        Assert.NotEqual(a.RunId, b.RunId);
        Assert.Equal(RunStatus.Running, Status("a").Status);
        Assert.Equal(RunStatus.Running, Status("b").Status);
    }

    [Fact]
    public void Should_report_pending_for_a_session_that_never_had_a_run()
    {
        var status = Status("never");

        Assert.Equal(RunStatus.Pending, status.Status);
        Assert.Null(status.RunId);
        Assert.Equal(0, status.LastSequence);
    }

    [Fact]
    public void Should_grant_exactly_one_of_many_concurrent_reserves()
    {
        var probes = Enumerable.Range(0, 20).Select(_ => CreateTestProbe()).ToList();
        foreach (var probe in probes) Supervisor.Tell(new Reserve("contended"), probe.Ref);

        var replies = probes.Select(p => p.ExpectMsg<IRunnerReply>()).ToList();

        var granted = Assert.Single(replies.OfType<Reserved>());
        Assert.Equal(19, replies.OfType<AlreadyRunning>().Count(r => r.RunId == granted.RunId));
    }

    [Fact]
    public void Should_publish_ExecutionStarted_with_the_run_id()
    {
        var subscriber = Subscriber("s1");

        var reserved = Reserve("s1");

        var started = ExpectEvent<ExecutionStarted>(subscriber, reserved.RunId);
        Assert.Equal(1, started.Sequence);
        Assert.Equal("s1", started.SessionId);
    }
}
