using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Event;
using Bamboo.Actors.History;
using Bamboo.Actors.Hosting;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using Bamboo.Actors.Tests.Persistence;
using Microsoft.Data.Sqlite;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.History;

/// <summary>
/// The journal projection on SQLite: it fills the read model from the sessions' tagged facts, and a new process resumes
/// at the offset the last batch stored, applying no fact twice.
/// </summary>
public sealed class ProjectionRestartSpecs : IDisposable
{
    private const string QueryPlugin = "akka.persistence.query.journal." + BambooPersistence.SqlPluginIdentifier;

    private static readonly string Hocon = $"""
        {QueryPlugin}.refresh-interval = 100ms
        {QueryPlugin}.journal-sequence-retrieval.query-delay = 100ms
        """;

    private readonly TempFolder _folder = new();
    private readonly ConcurrentQueue<HistoryChange> _applied = new();

    private string ConnectionString =>
        new BambooPersistenceOptions { Mode = BambooPersistenceMode.Sqlite, DataFolder = _folder.Path }.EffectiveConnectionString!;

    private (DurableSystem System, IHistoryStore Store) Start(bool wakeOrphans = false)
    {
        var system = DurableSystem.OnSqlite(_folder.Path, Hocon);
        var store = new RecordingStore(new SqlHistoryStore(HistoryStoreKind.Sqlite, ConnectionString, 100), _applied);
        var settings = HistorySettings.Default with
        {
            Store = HistoryStoreKind.Sqlite, ConnectionString = ConnectionString, ReadJournal = QueryPlugin, PollInterval = TimeSpan.FromMilliseconds(100),
        };
        system.System.ActorOf(HistoryProjection.Props(store, settings, wakeOrphans ? system.Supervisor : null), "projection");
        return (system, store);
    }

    [Fact]
    public async Task Should_fill_the_read_model_and_resume_after_a_restart_without_applying_a_fact_twice()
    {
        var runs = new List<string>();
        var (first, firstStore) = Start();
        await using (first)
        {
            foreach (var session in new[] { "a", "b", "c" })
            {
                var reserved = await first.Ask<Reserved>(new Reserve(session, Input: """{"n":1}"""));
                await first.Ask<Finalized>(new Finalize(session, reserved.RunId, RunOutcome.Completed, Output: "\"done\""));
                runs.Add(reserved.RunId);
            }
            await AwaitAsync(firstStore, "c", runs[2], RunStatus.Completed);
            var record = await firstStore.GetRunAsync("a", runs[0], CancellationToken.None);
            Assert.Equal(("""{"n":1}""", "\"done\"", RunStatus.Completed), (record!.Input, record.Output, record.Status));
        }
        var beforeRestart = _applied.Count;

        var (second, secondStore) = Start();
        await using (second)
        {
            var next = await second.Ask<Reserved>(new Reserve("a"));
            await AwaitAsync(secondStore, "a", next.RunId, RunStatus.Running);
            runs.Add(next.RunId);

            var page = await secondStore.ListRunsAsync("a", new ListQuery(null, null, 10), CancellationToken.None);
            Assert.Equal([next.RunId, runs[0]], page.Items.Select(r => r.RunId));
        }

        // Every run was created once, and the second process applied only what came after the first one's offset.
        var created = _applied.OfType<HistoryChange.RunCreated>().Select(c => c.RunId).ToList();
        Assert.Equal(runs.Order(), created.Order());
        Assert.Equal(3, _applied.OfType<HistoryChange.RunFinished>().Count());
        Assert.True(_applied.Count > beforeRestart);
        Assert.DoesNotContain(_applied.Skip(beforeRestart), change => change is HistoryChange.RunFinished);
    }

    [Fact]
    public async Task Should_end_a_run_the_last_process_left_running_once_it_has_caught_up_without_a_command_to_its_session()
    {
        string runId;
        var (first, _) = Start();
        await using (first)
            runId = (await first.Ask<Reserved>(new Reserve("orphan", Deadline: TimeSpan.FromMilliseconds(300)))).RunId;
        // The deadline passes while no process holds the session.
        await Task.Delay(TimeSpan.FromMilliseconds(400));

        var (second, store) = Start(wakeOrphans: true);
        await using (second)
        {
            await AwaitAsync(store, "orphan", runId, RunStatus.Error);
            Assert.Equal("lost on restart", (await store.GetRunAsync("orphan", runId, CancellationToken.None))!.Error);
        }
    }

    [Fact]
    public async Task Should_keep_retrying_when_its_read_journal_cannot_be_had_instead_of_stopping()
    {
        await using var system = DurableSystem.OnSqlite(_folder.Path, Hocon);
        var retries = new TaskCompletionSource();
        var listener = system.System.ActorOf(Props.Create(() => new RetryListener(retries, 2)));
        system.System.EventStream.Subscribe(listener, typeof(Warning));
        var settings = HistorySettings.Default with
        {
            Store = HistoryStoreKind.Sqlite, ConnectionString = ConnectionString, ReadJournal = "akka.persistence.query.journal.not-started",
        };

        system.System.ActorOf(HistoryProjection.Props(new SqlHistoryStore(HistoryStoreKind.Sqlite, ConnectionString, 100), settings, null), "projection");

        // A read journal that cannot be had (here: none configured; in production: one slower to start than its bounded
        // wait) fails the start, which is retried with backoff; the projection does not stop.
        await retries.Task.WaitAsync(TimeSpan.FromSeconds(20));
    }

    /// <summary>Completes once the projection has warned of <c>count</c> failed starts.</summary>
    [Fact]
    public async Task Should_read_the_journal_tags_by_tag_and_offset_range_not_by_tag_alone()
    {
        var rewritten = TagAggregateRewriter.Rewritten;
        var (system, store) = Start();
        await using (system)
        {
            var reserved = await system.Ask<Reserved>(new Reserve("indexed"));
            await AwaitAsync(store, "indexed", reserved.RunId, RunStatus.Running);
        }
        // The plugin's reads of the facts' tags went through the rewriter (TagAggregateRewriterSpecs): it still renders them
        // in the shape the rewriter knows.
        Assert.True(TagAggregateRewriter.Rewritten > rewritten, "no tag read of the plugin was rewritten");

        // The shape of Akka.Persistence.Sql's EventsByTag read on its tag table. With only the plugin's indexes SQLite
        // searches tags_tag_idx (tag=?) — every tagged fact, on every poll — instead of the offset range.
        await using var connection = new SqliteConnection(ConnectionString + ";Pooling=False");
        await connection.OpenAsync();
        await using var explain = connection.CreateCommand();
        explain.CommandText = $"""
            EXPLAIN QUERY PLAN
            SELECT r.ordering, r.message, (SELECT group_concat(t.tag, ';') FROM tags t WHERE t.ordering_id = r.ordering)
            FROM journal r LEFT JOIN tags lp ON lp.ordering_id = r.ordering
            WHERE lp.ordering_id > 1 AND lp.ordering_id <= 100 AND r.deleted = 0 AND lp.tag = '{SessionFacts.Tag}'
            ORDER BY r.ordering LIMIT 500
            """;
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
            while (await reader.ReadAsync()) plan.Add(reader.GetString(3));
        Assert.Contains(plan, step => step.Contains($"SEARCH lp USING COVERING INDEX {SqlHistoryStore.JournalTagOrderingIndex} (tag=? AND ordering_id>? AND ordering_id<?)"));
    }

    private sealed class RetryListener : ReceiveActor
    {
        public RetryListener(TaskCompletionSource retries, int count)
        {
            Receive<Warning>(warning => warning.Message.ToString()!.StartsWith("The read model projection failed", StringComparison.Ordinal), _ =>
            {
                if (--count == 0) retries.TrySetResult();
            });
        }
    }

    private static async Task AwaitAsync(IHistoryStore store, string sessionId, string runId, RunStatus status)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        // The tables may not exist yet (the projection creates them as it starts): creating them is idempotent.
        await store.InitializeAsync(CancellationToken.None);
        while ((await store.GetRunAsync(sessionId, runId, CancellationToken.None))?.Status != status)
            await Task.Delay(20, timeout.Token);
    }

    public void Dispose() => _folder.Dispose();

    /// <summary>A store that notes every change it applied (once its transaction committed).</summary>
    private sealed class RecordingStore(IHistoryStore inner, ConcurrentQueue<HistoryChange> applied) : IHistoryStore
    {
        public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

        public Task<long> ReadOffsetAsync(string projection, CancellationToken cancellationToken) => inner.ReadOffsetAsync(projection, cancellationToken);

        public async Task ApplyAsync(string projection, IReadOnlyList<HistoryChange> changes, long expectedOffset, long offset,
            CancellationToken cancellationToken)
        {
            await inner.ApplyAsync(projection, changes, expectedOffset, offset, cancellationToken);
            foreach (var change in changes) applied.Enqueue(change);
        }

        public Task<SessionPage> ListSessionsAsync(ListQuery query, CancellationToken cancellationToken) => inner.ListSessionsAsync(query, cancellationToken);

        public Task<RunPage> ListRunsAsync(string sessionId, ListQuery query, CancellationToken cancellationToken) =>
            inner.ListRunsAsync(sessionId, query, cancellationToken);

        public Task<RunRecord?> GetRunAsync(string sessionId, string runId, CancellationToken cancellationToken) =>
            inner.GetRunAsync(sessionId, runId, cancellationToken);

        public Task<SessionSummary?> GetSessionAsync(string sessionId, CancellationToken cancellationToken) =>
            inner.GetSessionAsync(sessionId, cancellationToken);

        public Task<IReadOnlyList<string>> RunningSessionsAsync(int limit, CancellationToken cancellationToken) =>
            inner.RunningSessionsAsync(limit, cancellationToken);

        public Task<int> PruneAsync(DateTimeOffset horizon, CancellationToken cancellationToken) => inner.PruneAsync(horizon, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
