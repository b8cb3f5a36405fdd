using Akka.Actor;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Persistence;

/// <summary>
/// Two incarnations of one session writing the same journal (what a broken hand-off or two clusters on one store would
/// do): the one whose write meets the other's sequence number records nothing, says so, stops and counts the conflict;
/// the session goes on from what the other recorded.
/// </summary>
public sealed class WriterConflictSpecs : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TempFolder _folder = new();

    [Fact]
    public async Task Should_refuse_a_write_that_meets_another_writers_fact_and_count_the_conflict()
    {
        using var conflicts = new GaugeListener("bamboo.journal.writer_conflicts");
        await using var system = DurableSystem.OnSqlite(_folder.Path);
        var first = system.System.ActorOf(DurableSessionRunner.Props("two-writers", system.Settings), "first");
        var run = await first.Ask<Reserved>(new Reserve("two-writers"), Timeout);

        // A second incarnation recovers the run and ends it.
        var second = system.System.ActorOf(DurableSessionRunner.Props("two-writers", system.Settings), "second");
        Assert.IsType<Finalized>(await second.Ask<IRunnerReply>(new Finalize("two-writers", run.RunId, RunOutcome.Completed), Timeout));

        // The first, which still believes the run is active, tries to write the same sequence number.
        var refused = await first.Ask<IRunnerReply>(new Cancel("two-writers", run.RunId), Timeout);

        Assert.Equal("another writer holds this session", Assert.IsType<Unavailable>(refused).Reason);
        Assert.True(conflicts.Value >= 1);
        var recovered = system.System.ActorOf(DurableSessionRunner.Props("two-writers", system.Settings), "third");
        var status = await recovered.Ask<RunnerSnapshot>(new GetStatus("two-writers"), Timeout);
        Assert.Equal((RunStatus.Completed, run.RunId, false), (status.Status, status.RunId, status.CancelRequested));
    }

    public void Dispose() => _folder.Dispose();
}
