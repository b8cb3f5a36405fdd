using Akka.Actor;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using Bamboo.Actors.Tests.Persistence;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Serialization.Fixtures;

/// <summary>
/// A SQLite journal written by the durable runners of an earlier version (<c>Fixtures/v1/journal.db</c>: facts and a
/// snapshot in the first wire format) still recovers, session by session, to the state it had when it was written.
/// </summary>
public sealed class RecordedJournalSpecs(ITestOutputHelper output) : IDisposable
{
    private const string SnapshotEvery = "bamboo.runners.snapshot-every = 5";
    private readonly TempFolder _folder = new();

    [Fact]
    public async Task Should_recover_every_session_of_the_v1_journal()
    {
        if (Environment.GetEnvironmentVariable("BAMBOO_RECORD_FIXTURES") == "1" && !File.Exists(Path.Combine(RecordedFormat.Folder("v1"), "journal.db")))
            await RecordAsync();
        Directory.CreateDirectory(_folder.Path);
        File.Copy(Path.Combine(RecordedFormat.Folder("v1"), "journal.db"), Path.Combine(_folder.Path, "bamboo.db"));

        Assert.Equal(1, CountSnapshots(Path.Combine(_folder.Path, "bamboo.db")));

        await using var system = DurableSystem.OnSqlite(_folder.Path, SnapshotEvery);

        // Ended runs come back as they ended; numbering resumes above the reserved block of sequences (1..1024).
        var completed = await system.StatusAsync("completed");
        Assert.Equal((RunStatus.Completed, "bb50e94d-c0ff-4039-b13b-540a521fcccc", null, At("2026-11-30T02:26:04.0126617Z"), At("2026-11-30T02:26:04.1737991Z")),
            (completed.Status, completed.RunId, completed.Error, completed.StartedAt, completed.CompletedAt));
        Assert.Equal((2, "search", ToolPhase.Finished, false, 0, 1024L),
            (completed.RoundCount, completed.LastToolName, completed.LastToolPhase, completed.CancelRequested, completed.QueueLength, completed.LastSequence));

        var cancelled = await system.StatusAsync("cancelled");
        Assert.Equal((RunStatus.Cancelled, "00093671-6440-4a79-b80b-2380df28f408", null, At("2026-11-30T02:26:04.2041834Z"), At("2026-11-30T02:26:04.2107439Z")),
            (cancelled.Status, cancelled.RunId, cancelled.Error, cancelled.StartedAt, cancelled.CompletedAt));
        Assert.Equal((true, 0, 1024L), (cancelled.CancelRequested, cancelled.QueueLength, cancelled.LastSequence));

        var failed = await system.StatusAsync("failed");
        Assert.Equal((RunStatus.Error, "eab180e5-068e-4b49-8dac-872a5ede3181", "model refused", At("2026-11-30T02:26:04.2136060Z"), At("2026-11-30T02:26:04.2145043Z")),
            (failed.Status, failed.RunId, failed.Error, failed.StartedAt, failed.CompletedAt));
        Assert.Equal((false, 0, 1024L), (failed.CancelRequested, failed.QueueLength, failed.LastSequence));

        // From the snapshot (a running run with its executor's reference, one queued run with its deadline, a withdrawn
        // one) and the cancel request after it: the executor died with the writing process, so its run ends as lost
        // and the queued run starts, with the deadline it was queued with.
        var queued = await AwaitStatusAsync(system, "queued", s => s.RunId == "615f8746-88c6-494f-8c51-29d8268d5184");
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

    private static DateTimeOffset At(string instant) => DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture);

    private static long CountSnapshots(string database)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM snapshot";
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

    /// <summary>Writes the journal with today's runners (record mode), into the source tree.</summary>
    private async Task RecordAsync([System.Runtime.CompilerServices.CallerFilePath] string source = "")
    {
        var folder = Path.Combine(_folder.Path, "record");
        await using (var system = DurableSystem.OnSqlite(folder, SnapshotEvery))
        {
            // Facts: RunStarted, SequencesReserved (first event), RunEnded; the progress events are not facts but
            // their diagnostics (round count, last tool) are kept by RunEnded.
            var completed = await system.Ask<Reserved>(new Reserve("completed"));
            await system.Ask<Published>(new Publish("completed", completed.RunId, new TokenDelta("Hel"), Acknowledge: true));
            await system.Ask<Published>(new Publish("completed", completed.RunId, new ToolLifecycle("search", ToolPhase.Finished), Acknowledge: true));
            await system.Ask<Published>(new Publish("completed", completed.RunId, new RunnerProgress(2), Acknowledge: true));
            await system.Ask<Finalized>(new Finalize("completed", completed.RunId, RunOutcome.Completed));

            // RunStarted (with an executor), SequencesReserved, CancelRequested, RunEnded.
            var cancelled = await system.Ask<Reserved>(new Reserve("cancelled", Executor: system.Executor("executor-cancelled")));
            await system.Ask<CancelRequested>(new Cancel("cancelled", cancelled.RunId, "user pressed stop"));
            await system.Ask<Finalized>(new Finalize("cancelled", cancelled.RunId, RunOutcome.Cancelled));

            // RunStarted, SequencesReserved, RunEnded with an error.
            var failed = await system.Ask<Reserved>(new Reserve("failed"));
            await system.Ask<Finalized>(new Finalize("failed", failed.RunId, RunOutcome.Failed("model refused")));

            // RunStarted (executor), SequencesReserved, RunEnqueued (with a reserver and a deadline), RunEnqueued,
            // QueuedRunWithdrawn: the fifth fact, so a snapshot with one queued run and actor references; then a
            // CancelRequested after the snapshot. The executor dies with this system.
            var active = await system.Ask<Reserved>(new Reserve("queued", Executor: system.Executor("executor-queued")));
            var next = await system.Ask<Queued>(new Reserve("queued", ConflictPolicy.Enqueue, Deadline: TimeSpan.FromMinutes(5)));
            var withdrawn = await system.Ask<Queued>(new Reserve("queued", ConflictPolicy.Enqueue));
            await system.Ask<CancelRequested>(new Cancel("queued", withdrawn.RunId, "changed my mind"));
            await system.Ask<CancelRequested>(new Cancel("queued", active.RunId, "user pressed stop"));

            foreach (var session in new[] { "completed", "cancelled", "failed", "queued" })
                output.WriteLine($"{session}: {await system.StatusAsync(session)}");
            output.WriteLine($"queued: active {active.RunId}, next {next.RunId}, withdrawn {withdrawn.RunId}");
        }
        SqliteConnection.ClearAllPools();
        var written = Path.Combine(folder, "bamboo.db");
        await using (var connection = new SqliteConnection($"Data Source={written}"))
        {
            connection.Open();
            await using var command = connection.CreateCommand();
            // One self-contained file: the write-ahead log folded in, and no longer in WAL mode.
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE; VACUUM;";
            await command.ExecuteNonQueryAsync();
            command.CommandText = "SELECT persistence_id || ' ' || sequence_number || ' ' || manifest FROM journal ORDER BY ordering";
            await using (var rows = await command.ExecuteReaderAsync())
                while (await rows.ReadAsync()) output.WriteLine(rows.GetString(0));
            command.CommandText = "SELECT persistence_id || ' ' || sequence_number || ' ' || manifest FROM snapshot";
            await using (var rows = await command.ExecuteReaderAsync())
                while (await rows.ReadAsync()) output.WriteLine("snapshot " + rows.GetString(0));
        }
        SqliteConnection.ClearAllPools();
        var target = Path.Combine(Path.GetDirectoryName(source)!, "v1", "journal.db");
        File.Copy(written, target);
        Directory.CreateDirectory(RecordedFormat.Folder("v1"));
        File.Copy(written, Path.Combine(RecordedFormat.Folder("v1"), "journal.db"));
    }

    public void Dispose() => _folder.Dispose();
}
