using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using Bamboo.Actors.Tests.Persistence;
using Microsoft.Data.Sqlite;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Serialization.Fixtures;

/// <summary>
/// A SQLite journal written by the durable runners of an earlier version (<c>Fixtures/v1/journal.db</c>: facts and a
/// snapshot in the first, JSON, wire format) still recovers, session by session, to the state it had when it was
/// written. How it was written (snapshot-every 5, system "durable"):
/// <list type="bullet">
/// <item><c>completed</c>: reserve; publish a token delta, <c>ToolLifecycle("search", Finished)</c> and
/// <c>RunnerProgress(2)</c>; finalize completed.</item>
/// <item><c>cancelled</c>: reserve with an executor; cancel it ("user pressed stop"); finalize cancelled.</item>
/// <item><c>failed</c>: reserve; finalize failed ("model refused").</item>
/// <item><c>queued</c>: reserve with an executor (run 460583c1…); enqueue a run with a 5-minute deadline (615f8746…);
/// enqueue another (2a04c413…) and withdraw it by cancelling it — the fifth fact, so a snapshot; then request
/// cancellation of the active run. The system then stopped, as a crash would.</item>
/// </list>
/// The journal's rows: <c>FRS FSR FRE</c> (completed, failed), <c>FRS FSR FCR FRE</c> (cancelled),
/// <c>FRS FSR FEQ FEQ FQW FCR</c> and snapshot <c>FDS</c> at 5 (queued).
/// </summary>
public sealed class RecordedJournalSpecs : IDisposable
{
    private const string SnapshotEvery = "bamboo.runners.snapshot-every = 5";
    private readonly TempFolder _folder = new();

    [Fact]
    public async Task Should_recover_every_session_of_the_v1_journal()
    {
        Directory.CreateDirectory(_folder.Path);
        File.Copy(Path.Combine(RecordedFormat.Folder("v1"), "journal.db"), Path.Combine(_folder.Path, "bamboo.db"));

        var database = Path.Combine(_folder.Path, "bamboo.db");
        Assert.Equal(1L, Count(database, "SELECT COUNT(*) FROM snapshot WHERE manifest = 'FDS'"));

        RunnerSnapshot queued;
        await using (var system = DurableSystem.OnSqlite(_folder.Path, SnapshotEvery))
        {
            // Ended runs come back as they ended. The first format recorded no events, so the last sequence used is not
            // known (0); numbering resumes above the reserved block of sequences (1..1024).
            var completed = await system.StatusAsync("completed");
            Assert.Equal((RunStatus.Completed, "bb50e94d-c0ff-4039-b13b-540a521fcccc", null, At("2026-11-30T02:26:04.0126617Z"), At("2026-11-30T02:26:04.1737991Z")),
                (completed.Status, completed.RunId, completed.Error, completed.StartedAt, completed.CompletedAt));
            Assert.Equal((2, "search", ToolPhase.Finished, false, 0, 0L),
                (completed.RoundCount, completed.LastToolName, completed.LastToolPhase, completed.CancelRequested, completed.QueueLength, completed.LastSequence));

            var cancelled = await system.StatusAsync("cancelled");
            Assert.Equal((RunStatus.Cancelled, "00093671-6440-4a79-b80b-2380df28f408", null, At("2026-11-30T02:26:04.2041834Z"), At("2026-11-30T02:26:04.2107439Z")),
                (cancelled.Status, cancelled.RunId, cancelled.Error, cancelled.StartedAt, cancelled.CompletedAt));
            Assert.Equal((true, 0, 0L), (cancelled.CancelRequested, cancelled.QueueLength, cancelled.LastSequence));

            var failed = await system.StatusAsync("failed");
            Assert.Equal((RunStatus.Error, "eab180e5-068e-4b49-8dac-872a5ede3181", "model refused", At("2026-11-30T02:26:04.2136060Z"), At("2026-11-30T02:26:04.2145043Z")),
                (failed.Status, failed.RunId, failed.Error, failed.StartedAt, failed.CompletedAt));
            Assert.Equal((false, 0, 0L), (failed.CancelRequested, failed.QueueLength, failed.LastSequence));

            // From the snapshot (a running run with its executor's reference, one queued run with its deadline, a withdrawn
            // one) and the cancel request after it: the executor died with the writing process, so its run ends as lost
            // and the queued run starts, with the deadline it was queued with.
            queued = await AwaitStatusAsync(system, "queued", s => s.RunId == "615f8746-88c6-494f-8c51-29d8268d5184");
            Assert.Equal((RunStatus.Running, null, false, 0), (queued.Status, queued.Error, queued.CancelRequested, queued.QueueLength));
            Assert.Equal(queued.StartedAt + TimeSpan.FromMinutes(5), queued.DeadlineAt);
            // 1025: the lost run's ExecutionFinished, 1026: the queued run's ExecutionStarted.
            Assert.Equal(1026L, queued.LastSequence);
            await using var history = new EventCollector(system);
            await system.Ask<Subscribed>(new Subscribe("queued", history.Ref, AfterSequence: 1024));
            var lost = Assert.IsType<ExecutionFinished>(history.Take(1)[0]);
            Assert.Equal(("460583c1-4cb1-4757-afa6-8f587a609db1", RunStatus.Error, RunnerState<object>.LostOnRestart),
                (lost.RunId, lost.Status, lost.Error));
        }

        // What recovery wrote (the lost run's end, a sequence block, the queued run's start) is in today's format,
        // after the first format's rows: that journal recovers too.
        Assert.Equal(3L, Count(database, "SELECT COUNT(*) FROM journal WHERE manifest IN ('F1', 'F3', 'F6')"));
        await using var again = DurableSystem.OnSqlite(_folder.Path, SnapshotEvery);
        var resumed = await again.StatusAsync("queued");
        Assert.Equal((RunStatus.Running, queued.RunId, queued.StartedAt, queued.DeadlineAt, 0, 1026L),
            (resumed.Status, resumed.RunId, resumed.StartedAt, resumed.DeadlineAt, resumed.QueueLength, resumed.LastSequence));
        Assert.Equal(RunStatus.Completed, (await again.StatusAsync("completed")).Status);
    }

    private static DateTimeOffset At(string instant) => DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture);

    private static long Count(string database, string query)
    {
        SqliteConnection.ClearAllPools();
        using var connection = new SqliteConnection($"Data Source={database};Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = query;
        return (long)command.ExecuteScalar()!;
    }

    private static async Task<RunnerSnapshot> AwaitStatusAsync(DurableSystem system, string sessionId, Func<RunnerSnapshot, bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var status = await system.StatusAsync(sessionId);
            if (condition(status)) return status;
            await Task.Delay(20, timeout.Token);
        }
    }

    public void Dispose() => _folder.Dispose();
}
