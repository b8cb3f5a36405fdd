using Bamboo.Actors.Hosting;
using Bamboo.Actors.TestSupport;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Persistence;

/// <summary>Stop the ActorSystem, start a new one on the same database: what was acknowledged is still there.</summary>
public abstract class RestartSpecs
{
    /// <summary>Sessions of this test instance: the database may be shared with other runs.</summary>
    private readonly string _prefix = Guid.NewGuid().ToString("N")[..8] + "-";

    /// <summary>Makes sure this spec's database can be had here (a spec without it is skipped, never passed).</summary>
    protected virtual void RequireDatabase()
    {
    }

    /// <summary>Starts a system on this spec's database.</summary>
    protected abstract DurableSystem Start(string extraHocon = "");

    /// <summary>Rows in a table of this spec's database.</summary>
    protected abstract long CountRows(string table);

    private string S(string name) => _prefix + name;

    [SkippableFact]
    public async Task Should_keep_finished_runs_and_mark_a_run_whose_executor_died_with_the_process_as_lost()
    {
        RequireDatabase();
        string finishedRun, activeRun, queuedRun;
        DateTimeOffset completedAt;
        await using (var first = Start())
        {
            var done = await first.Ask<Reserved>(new Reserve(S("finished")));
            await first.Ask<Finalized>(new Finalize(S("finished"), done.RunId, RunOutcome.Failed("model refused")));
            finishedRun = done.RunId;
            completedAt = (await first.StatusAsync(S("finished"))).CompletedAt!.Value;

            activeRun = (await first.Ask<Reserved>(new Reserve(S("active"), Executor: first.Executor("executor")))).RunId;
            queuedRun = (await first.Ask<Queued>(new Reserve(S("active"), ConflictPolicy.Enqueue, Deadline: TimeSpan.FromMinutes(5)))).RunId;
        }

        await using var second = Start();

        var finished = await second.StatusAsync(S("finished"));
        Assert.Equal((RunStatus.Error, finishedRun, "model refused", completedAt),
            (finished.Status, finished.RunId, finished.Error, finished.CompletedAt));
        // The executor lived in the old process: the run is lost, and the queued run takes over.
        var active = await AwaitStatusAsync(second, S("active"), s => s.RunId == queuedRun);
        Assert.Equal((RunStatus.Running, 0), (active.Status, active.QueueLength));
        // Events outlive the process: the replay is the session's whole history, in order, without a gap.
        await using var history = await SubscribeAsync(second, S("active"), afterSequence: 0);
        var events = history.Take(4);
        Assert.Equal([typeof(ExecutionStarted), typeof(RunQueued), typeof(ExecutionFinished), typeof(ExecutionStarted)], events.Select(e => e.GetType()));
        Assert.Equal([activeRun, queuedRun, activeRun, queuedRun], events.Select(e => e.RunId));
        var lost = (ExecutionFinished)events[2];
        Assert.Equal((RunStatus.Error, RunnerState<object>.LostOnRestart), (lost.Status, lost.Error));
        Assert.Equal(events.Select(e => e.Sequence).Order(), events.Select(e => e.Sequence));
    }

    [SkippableFact]
    public async Task Should_keep_a_worker_run_without_executor_running_until_its_deadline()
    {
        RequireDatabase();
        Reserved reserved;
        await using (var first = Start())
        {
            reserved = await first.Ask<Reserved>(new Reserve(S("worker"), Deadline: TimeSpan.FromMinutes(10)));
            await first.Ask<CancelRequested>(new Cancel(S("worker"), reserved.RunId, "stop please"));
        }

        await using var second = Start();

        var status = await second.StatusAsync(S("worker"));
        Assert.Equal((RunStatus.Running, reserved.RunId, true), (status.Status, status.RunId, status.CancelRequested));
        Assert.Equal(reserved.StartedAt.AddMinutes(10), status.DeadlineAt);
        var finalized = await second.Ask<Finalized>(new Finalize(S("worker"), reserved.RunId, RunOutcome.Cancelled));
        Assert.Equal(RunStatus.Cancelled, finalized.Status);
        Assert.NotEqual(reserved.RunId, (await second.Ask<Reserved>(new Reserve(S("worker")))).RunId);
    }

    [SkippableFact]
    public async Task Should_end_a_worker_run_whose_deadline_passed_while_the_process_was_down()
    {
        RequireDatabase();
        Reserved reserved;
        await using (var first = Start())
            reserved = await first.Ask<Reserved>(new Reserve(S("late-worker"), Deadline: TimeSpan.FromMilliseconds(300)));
        // The deadline passes while no process holds the session.
        await Task.Delay(TimeSpan.FromMilliseconds(400));

        await using var second = Start();

        var status = await second.StatusAsync(S("late-worker"));
        Assert.Equal((RunStatus.Error, reserved.RunId, RunnerState<object>.LostOnRestart), (status.Status, status.RunId, status.Error));
    }

    [SkippableFact]
    public async Task Should_recover_from_snapshots_and_continue_sequences_above_every_sequence_used()
    {
        RequireDatabase();
        var session = S("snapshotted");
        long lastSequence;
        string lastRun = "";
        await using (var first = Start("bamboo.runners.snapshot-every = 3"))
        {
            for (var i = 0; i < 5; i++)
            {
                lastRun = (await first.Ask<Reserved>(new Reserve(session))).RunId;
                for (var t = 0; t < 3; t++) await first.Ask<Published>(new Publish(session, lastRun, new TokenDelta($"t{t}"), Acknowledge: true));
                await first.Ask<Finalized>(new Finalize(session, lastRun, RunOutcome.Completed));
            }
            lastSequence = (await first.StatusAsync(session)).LastSequence;
        }
        Assert.True(CountRows("snapshot") > 0, "no snapshot was saved");

        await using var second = Start("bamboo.runners.snapshot-every = 3");

        var status = await second.StatusAsync(session);
        Assert.Equal((RunStatus.Completed, lastRun), (status.Status, status.RunId));
        Assert.True(status.LastSequence >= lastSequence);
        var next = await second.Ask<Reserved>(new Reserve(session));
        await using var live = await SubscribeAsync(second, session, afterSequence: status.LastSequence);
        await second.Ask<Published>(new Publish(session, next.RunId, new TokenDelta("after restart"), Acknowledge: true));
        Assert.True(live.Take(1)[0].Sequence > lastSequence);
    }


    [SkippableFact]
    public async Task Should_replay_to_a_subscriber_without_a_cursor_after_a_restart_what_the_live_session_replayed()
    {
        RequireDatabase();
        var session = S("replayed");
        List<AgentEvent> live;
        await using (var first = Start())
        {
            var run = await first.Ask<Reserved>(new Reserve(session));
            await first.Ask<Published>(new Publish(session, run.RunId, new ToolStarted("search"), Acknowledge: true));
            await first.Ask<Published>(new Publish(session, run.RunId, new TokenDelta("not critical"), Acknowledge: true));
            await first.Ask<Finalized>(new Finalize(session, run.RunId, RunOutcome.Completed));
            await using var subscriber = await SubscribeAsync(first, session, afterSequence: null);
            live = subscriber.Take(3);
        }

        await using var second = Start();
        await using var replayed = await SubscribeAsync(second, session, afterSequence: null);

        // The critical events of the run, ending with its end: the same events, numbers and times as the live replay.
        Assert.Equal([typeof(ExecutionStarted), typeof(ToolStarted), typeof(ExecutionFinished)], live.Select(e => e.GetType()));
        Assert.Equal(live, replayed.Take(3));
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

    private static async Task<EventCollector> SubscribeAsync(DurableSystem system, string sessionId, long? afterSequence)
    {
        var collector = new EventCollector(system);
        await system.Ask<Subscribed>(new Subscribe(sessionId, collector.Ref, afterSequence));
        return collector;
    }
}

public sealed class SqliteRestartSpecs : RestartSpecs, IDisposable
{
    private readonly TempFolder _folder = new();

    protected override DurableSystem Start(string extraHocon = "") => DurableSystem.OnSqlite(_folder.Path, extraHocon);

    protected override long CountRows(string table)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_folder.Path, "bamboo.db")}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {table}";
        return (long)command.ExecuteScalar()!;
    }

    public void Dispose() => _folder.Dispose();
}

/// <summary>
/// The same restarts on PostgreSQL (the clustered deployment's store). <c>.ci/run</c> starts a PostgreSQL server and
/// sets <c>BAMBOO_TEST_POSTGRES</c>; without it these specs are reported skipped (and fail in CI).
/// </summary>
public sealed class PostgreSqlRestartSpecs : RestartSpecs
{
    protected override void RequireDatabase()
    {
        var missing = TestPostgres.MissingReason();
        Skip.If(missing is not null, missing);
    }

    protected override DurableSystem Start(string extraHocon = "") =>
        DurableSystem.Start(new BambooPersistenceOptions { Mode = BambooPersistenceMode.PostgreSql, ConnectionString = TestPostgres.ConnectionString }, extraHocon);

    protected override long CountRows(string table)
    {
        using var connection = new Npgsql.NpgsqlConnection(TestPostgres.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {table}";
        return (long)command.ExecuteScalar()!;
    }
}
