using Bamboo.Actors.History;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.TestSupport;
using Bamboo.Actors.Tests.Persistence;
using Npgsql;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.History;

/// <summary>
/// The read model's rules, the same for every store: idempotent upserts, keyset pages newest first, status filters,
/// runs kept per session, pruning by age, purges, and the offset moved with each batch in one transaction.
/// </summary>
public abstract class HistoryStoreSpecs : IAsyncLifetime
{
    private const string Projection = "spec-projection";
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private IHistoryStore? _store;
    private long _offset;

    /// <summary>Makes sure this spec's database can be had here (a spec without it is skipped, never passed).</summary>
    protected virtual void RequireDatabase()
    {
    }

    /// <summary>A store on an empty database of its own, keeping <paramref name="runsPerSession"/> runs per session.</summary>
    protected abstract IHistoryStore Create(int runsPerSession);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        if (_store is not null) await _store.DisposeAsync();
    }

    private async Task<IHistoryStore> StoreAsync(int runsPerSession = 100)
    {
        RequireDatabase();
        _store = Create(runsPerSession);
        await _store.InitializeAsync(CancellationToken.None);
        _offset = await _store.ReadOffsetAsync(Projection, CancellationToken.None);
        return _store;
    }

    private async Task ApplyAsync(IHistoryStore store, params HistoryChange[] changes)
    {
        await store.ApplyAsync(Projection, changes, _offset, _offset + changes.Length, CancellationToken.None);
        _offset += changes.Length;
    }

    private static string RunId(int n) => $"00000000-0000-0000-0000-{n:D12}";

    // Sequences grow with time in a session, as the runner numbers its events: ten a minute here.
    private static HistoryChange.RunCreated Started(string session, int run, int minute, long? sequence = null, string? input = null) =>
        new(session, RunId(run), T0.AddMinutes(minute), T0.AddMinutes(minute), ConflictPolicy.Reject, "echo", input, sequence ?? minute * 10 + 1);

    private static HistoryChange.RunCreated Queued(string session, int run, int minute, long sequence) =>
        new(session, RunId(run), T0.AddMinutes(minute), null, ConflictPolicy.Enqueue, null, """{"k":1}""", sequence);

    private static HistoryChange.RunFinished Ended(string session, int run, int minute, RunStatus status = RunStatus.Completed, long? sequence = null,
        string? output = null) =>
        new(session, RunId(run), status, status == RunStatus.Error ? "boom" : null, T0.AddMinutes(minute), 3, "search", output,
            sequence ?? minute * 10 + 5, Withdrawn: false);

    private static ListQuery All(int limit = 50, RunStatus? status = null, HistoryCursor? after = null) => new(status, after, limit);

    [SkippableFact]
    public async Task Should_keep_every_field_of_a_run_and_its_session()
    {
        var store = await StoreAsync();

        await ApplyAsync(store,
            Started("a", 1, 0, 1, input: "\"hello\""),
            new HistoryChange.Progress("a", RunId(1), 5, T0.AddMinutes(1), 2, "lookup"),
            new HistoryChange.RunCancelling("a", RunId(1), "enough", "caller", 6, T0.AddMinutes(2)),
            Ended("a", 1, 3, RunStatus.Cancelled, 7, output: """{"answer":42}"""));

        var run = await store.GetRunAsync("a", RunId(1), CancellationToken.None);
        Assert.Equal(
            new RunRecord("a", RunId(1), RunStatus.Cancelled, T0, T0, T0.AddMinutes(3), null, ConflictPolicy.Reject, "echo", "\"hello\"",
                """{"answer":42}""", 3, "search", 7, true, "enough", "caller", null),
            run);
        var session = await store.GetSessionAsync("a", CancellationToken.None);
        Assert.Equal(new SessionSummary("a", RunStatus.Cancelled, RunId(1), T0, T0.AddMinutes(3), null, T0.AddMinutes(3), 3, "search", 7, 1), session);
        Assert.Null(await store.GetRunAsync("a", RunId(2), CancellationToken.None));
        Assert.Null(await store.GetSessionAsync("b", CancellationToken.None));
    }

    [SkippableFact]
    public async Task Should_apply_a_fact_delivered_twice_once_in_effect()
    {
        var store = await StoreAsync();
        HistoryChange[] batch =
        [
            Queued("a", 1, 0, 1),
            Started("a", 1, 1, 2),
            new HistoryChange.Progress("a", RunId(1), 4, T0.AddMinutes(2), 1, "t"),
            Ended("a", 1, 3, sequence: 5),
            Started("a", 2, 4, 6),
        ];
        await ApplyAsync(store, batch);
        var sessions = await store.ListSessionsAsync(All(), CancellationToken.None);
        var runs = await store.ListRunsAsync("a", All(), CancellationToken.None);

        // The same facts again (a projection that crashed before its offset was stored), and an old one alone.
        await ApplyAsync(store, batch);
        await ApplyAsync(store, Started("a", 1, 1, 2));

        Assert.Equal(sessions.Items, (await store.ListSessionsAsync(All(), CancellationToken.None)).Items);
        Assert.Equal(runs.Items, (await store.ListRunsAsync("a", All(), CancellationToken.None)).Items);
        Assert.Equal(2, sessions.Items.Single().RunCount);
        Assert.Equal((RunStatus.Running, RunId(2)), (sessions.Items[0].Status, sessions.Items[0].RunId));
        Assert.Equal(RunStatus.Completed, runs.Items.Single(r => r.RunId == RunId(1)).Status);
    }

    [SkippableFact]
    public async Task Should_page_sessions_newest_activity_first_with_cursors()
    {
        var store = await StoreAsync();
        // Seven sessions, two of them with the same activity time (the id breaks the tie).
        for (var i = 0; i < 7; i++) await ApplyAsync(store, Started($"s{i}", i, i == 6 ? 5 : i));
        // Activity moves s0 to the front.
        await ApplyAsync(store, Ended("s0", 0, 30));

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var after = cursor is null ? null : HistoryCursor.ParseSessions(cursor);
            Assert.True(cursor is null || after is not null, "the store gave out a cursor it cannot read");
            var page = await store.ListSessionsAsync(All(limit: 3, after: after), CancellationToken.None);
            Assert.True(page.Items.Count <= 3);
            seen.AddRange(page.Items.Select(s => s.SessionId));
            cursor = page.NextCursor;
            pages++;
        } while (cursor is not null && pages < 10);

        Assert.Equal(["s0", "s6", "s5", "s4", "s3", "s2", "s1"], seen);
        Assert.Equal(3, pages);
    }

    [SkippableFact]
    public async Task Should_page_runs_newest_first_and_refuse_a_cursor_of_another_list()
    {
        var store = await StoreAsync();
        for (var i = 0; i < 5; i++) await ApplyAsync(store, Started("a", i, i), Ended("a", i, i));
        await ApplyAsync(store, Started("b", 9, 10));

        var first = await store.ListRunsAsync("a", All(limit: 2), CancellationToken.None);
        var second = await store.ListRunsAsync("a", All(limit: 2, after: HistoryCursor.ParseRuns(first.NextCursor!, "a")), CancellationToken.None);
        var last = await store.ListRunsAsync("a", All(limit: 2, after: HistoryCursor.ParseRuns(second.NextCursor!, "a")), CancellationToken.None);

        Assert.Equal([RunId(4), RunId(3), RunId(2), RunId(1), RunId(0)], first.Items.Concat(second.Items).Concat(last.Items).Select(r => r.RunId));
        Assert.Null(last.NextCursor);
        Assert.Null(HistoryCursor.ParseRuns(first.NextCursor!, "b"));
        Assert.Null(HistoryCursor.ParseSessions(first.NextCursor!));
        Assert.Equal([RunId(9)], (await store.ListRunsAsync("b", All(), CancellationToken.None)).Items.Select(r => r.RunId));
        Assert.Empty((await store.ListRunsAsync("nobody", All(), CancellationToken.None)).Items);
    }

    [SkippableFact]
    public async Task Should_filter_sessions_and_runs_by_status()
    {
        var store = await StoreAsync();
        await ApplyAsync(store,
            Started("running", 1, 0),
            Started("done", 2, 1), Ended("done", 2, 2),
            Started("failed", 3, 3), Ended("failed", 3, 4, RunStatus.Error),
            Started("failed", 4, 5), Ended("failed", 4, 6),
            Queued("waiting", 5, 7, 1));

        async Task<string[]> Sessions(RunStatus status) =>
            (await store.ListSessionsAsync(All(status: status), CancellationToken.None)).Items.Select(s => s.SessionId).ToArray();

        Assert.Equal(["running"], await Sessions(RunStatus.Running));
        Assert.Equal(["failed", "done"], await Sessions(RunStatus.Completed));
        Assert.Empty(await Sessions(RunStatus.Error));
        Assert.Equal(["waiting"], await Sessions(RunStatus.Pending));
        Assert.Equal([RunId(3)], (await store.ListRunsAsync("failed", All(status: RunStatus.Error), CancellationToken.None)).Items.Select(r => r.RunId));
        Assert.Equal(["running"], await store.RunningSessionsAsync(10, CancellationToken.None));
    }

    [SkippableFact]
    public async Task Should_keep_only_the_newest_runs_of_a_session()
    {
        var store = await StoreAsync(runsPerSession: 3);
        for (var i = 0; i < 6; i++) await ApplyAsync(store, Started("a", i, i), Ended("a", i, i));
        await ApplyAsync(store, Started("a", 6, 10));

        var runs = await store.ListRunsAsync("a", All(), CancellationToken.None);

        Assert.Equal([RunId(6), RunId(5), RunId(4)], runs.Items.Select(r => r.RunId));
        Assert.Equal(3, (await store.GetSessionAsync("a", CancellationToken.None))!.RunCount);
        Assert.Null(await store.GetRunAsync("a", RunId(0), CancellationToken.None));
    }

    [SkippableFact]
    public async Task Should_prune_ended_runs_and_idle_sessions_older_than_the_horizon()
    {
        var store = await StoreAsync();
        await ApplyAsync(store,
            Started("old", 1, 0), Ended("old", 1, 1),
            Started("mixed", 2, 0), Ended("mixed", 2, 1), Started("mixed", 3, 20), Ended("mixed", 3, 21),
            Started("old-running", 4, 0));

        var pruned = await store.PruneAsync(T0.AddMinutes(10), CancellationToken.None);

        Assert.Equal(3, pruned); // two runs and the session "old"
        Assert.Null(await store.GetSessionAsync("old", CancellationToken.None));
        Assert.Null(await store.GetRunAsync("old", RunId(1), CancellationToken.None));
        Assert.Equal([RunId(3)], (await store.ListRunsAsync("mixed", All(), CancellationToken.None)).Items.Select(r => r.RunId));
        Assert.Equal(1, (await store.GetSessionAsync("mixed", CancellationToken.None))!.RunCount);
        // A run still running is never pruned, however old.
        Assert.Equal(RunStatus.Running, (await store.GetRunAsync("old-running", RunId(4), CancellationToken.None))!.Status);
        Assert.Equal(0, await store.PruneAsync(T0.AddMinutes(10), CancellationToken.None));
    }

    [SkippableFact]
    public async Task Should_delete_every_row_of_a_purged_session()
    {
        var store = await StoreAsync();
        await ApplyAsync(store, Started("gone", 1, 0), Ended("gone", 1, 1), Started("gone", 2, 2), Ended("gone", 2, 3), Started("kept", 3, 4));

        await ApplyAsync(store, new HistoryChange.Purged("gone", T0.AddMinutes(5)));

        Assert.Null(await store.GetSessionAsync("gone", CancellationToken.None));
        Assert.Empty((await store.ListRunsAsync("gone", All(), CancellationToken.None)).Items);
        Assert.Equal(["kept"], (await store.ListSessionsAsync(All(), CancellationToken.None)).Items.Select(s => s.SessionId));
    }

    [SkippableFact]
    public async Task Should_refuse_a_batch_whose_expected_offset_is_not_the_stored_one_and_apply_none_of_it()
    {
        var store = await StoreAsync();
        await ApplyAsync(store, Started("a", 1, 0));

        await Assert.ThrowsAsync<OffsetConflictException>(() =>
            store.ApplyAsync(Projection, [Ended("a", 1, 1), Started("b", 2, 2)], _offset - 1, _offset + 5, CancellationToken.None));

        Assert.Equal(_offset, await store.ReadOffsetAsync(Projection, CancellationToken.None));
        Assert.Equal(RunStatus.Running, (await store.GetRunAsync("a", RunId(1), CancellationToken.None))!.Status);
        Assert.Null(await store.GetSessionAsync("b", CancellationToken.None));
    }
}

public sealed class MemoryHistoryStoreSpecs : HistoryStoreSpecs
{
    protected override IHistoryStore Create(int runsPerSession) => new MemoryHistoryStore(runsPerSession);
}

public sealed class SqliteHistoryStoreSpecs : HistoryStoreSpecs
{
    private readonly TempFolder _folder = new();

    protected override IHistoryStore Create(int runsPerSession)
    {
        Directory.CreateDirectory(_folder.Path);
        return new SqlHistoryStore(HistoryStoreKind.Sqlite, $"Data Source={Path.Combine(_folder.Path, "history.db")}", runsPerSession);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _folder.Dispose();
    }
}

/// <summary>The same rules on PostgreSQL, each spec in a schema of its own (skipped without <c>BAMBOO_TEST_POSTGRES</c>).</summary>
public sealed class PostgreSqlHistoryStoreSpecs : HistoryStoreSpecs
{
    private readonly string _schema = "history_spec_" + Guid.NewGuid().ToString("N")[..12];
    private bool _created;

    protected override void RequireDatabase()
    {
        var missing = TestPostgres.MissingReason();
        Skip.If(missing is not null, missing);
    }

    protected override IHistoryStore Create(int runsPerSession)
    {
        Execute($"CREATE SCHEMA {_schema}");
        _created = true;
        var connection = new NpgsqlConnectionStringBuilder(TestPostgres.ConnectionString) { SearchPath = _schema }.ConnectionString;
        return new SqlHistoryStore(HistoryStoreKind.PostgreSql, connection, runsPerSession);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_created) Execute($"DROP SCHEMA {_schema} CASCADE");
    }

    private static void Execute(string sql)
    {
        using var connection = new NpgsqlConnection(TestPostgres.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
