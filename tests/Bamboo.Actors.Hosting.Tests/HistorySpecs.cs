using Bamboo.Actors.Client;
using Bamboo.Actors.History;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Hosting.Tests;

/// <summary>
/// The query API of <see cref="IRunnerClient"/> on a hosted system whose sessions are not kept in SQL: the read model
/// lives in memory, fed by the facts the sessions publish on the EventStream.
/// </summary>
public sealed class HistorySpecs(ITestOutputHelper output) : BambooHostingSpec(output)
{
    [Fact]
    public async Task Should_list_runs_and_sessions_with_their_records_and_forget_a_deleted_session()
    {
        var session = "history-" + Guid.NewGuid().ToString("N")[..8];
        await using (var lease = await Client.ReserveAsync(session, new ReserveOptions { Metadata = """{"ticket":7}""" }, TestTimeout()))
        {
            Assert.True(lease.IsActive);
            await lease.CompleteAsync("""{"answer":42}""");
            var runId = lease.RunId!;

            var page = await AwaitAsync(() => Client.ListRunsAsync(session, cancellationToken: TestTimeout()),
                reply => reply is RunPage { Items: [{ Status: RunStatus.Completed }] });
            var record = Assert.Single(((RunPage)page).Items);
            Assert.Equal((runId, """{"ticket":7}""", """{"answer":42}"""), (record.RunId, record.Input, record.Output));
            var sessions = Assert.IsType<SessionPage>(await Client.ListSessionsAsync(RunStatus.Completed, limit: 500, cancellationToken: TestTimeout()));
            Assert.Contains(sessions.Items, s => s.SessionId == session && s.RunId == runId && s.RunCount == 1);
            Assert.Equal(RunStatus.Completed, Assert.IsType<RunRecord>(await Client.WaitForRunAsync(session, runId, TimeSpan.FromSeconds(5), TestTimeout())).Status);
        }

        Assert.IsType<SessionDeleted>(await Client.DeleteSessionAsync(session, TestTimeout()));

        await AwaitAsync(() => Client.ListRunsAsync(session, cancellationToken: TestTimeout()), reply => reply is RunPage { Items: [] });
        var after = Assert.IsType<SessionPage>(await Client.ListSessionsAsync(limit: 500, cancellationToken: TestTimeout()));
        Assert.DoesNotContain(after.Items, s => s.SessionId == session);
    }

    [Fact]
    public async Task Should_answer_a_retry_with_the_same_idempotency_key_with_the_first_run()
    {
        var options = new ReserveOptions { IdempotencyKey = "order-42", Metadata = """{"n":1}""" };
        await using var first = await Client.ReserveAsync("idempotent", options, TestTimeout());
        await using var retry = await Client.ReserveAsync("idempotent", options, TestTimeout());
        await using var other = await Client.ReserveAsync("idempotent", options with { Metadata = """{"n":2}""" }, TestTimeout());

        Assert.Equal(LeaseStatus.Active, first.Status);
        Assert.Equal((LeaseStatus.Duplicate, first.RunId), (retry.Status, retry.RunId));
        Assert.Equal((LeaseStatus.Rejected, "idempotency_key_reused"), (other.Status, other.Reason));
        Assert.True(first.IsActive);
    }

    [Fact]
    public async Task Should_refuse_a_malformed_list_query_as_a_value()
    {
        Assert.IsType<InvalidCommand>(await Client.ListSessionsAsync(limit: 0, cancellationToken: TestTimeout()));
        Assert.IsType<InvalidCommand>(await Client.ListSessionsAsync(limit: 501, cancellationToken: TestTimeout()));
        Assert.IsType<InvalidCommand>(await Client.ListSessionsAsync(cursor: "garbage", cancellationToken: TestTimeout()));
        var runsCursor = new HistoryCursor(DateTimeOffset.UnixEpoch, "r").ForRuns("s");
        Assert.IsType<InvalidCommand>(await Client.ListSessionsAsync(cursor: runsCursor, cancellationToken: TestTimeout()));
        Assert.IsType<InvalidCommand>(await Client.ListRunsAsync("other", cursor: runsCursor, cancellationToken: TestTimeout()));
        Assert.IsType<InvalidCommand>(await Client.WaitForRunAsync("s", "r", TimeSpan.FromSeconds(-1), TestTimeout()));
        Assert.IsType<UnknownRun>(await Client.GetRunAsync("s", Guid.NewGuid().ToString(), TestTimeout()));
    }

    private static async Task<IRunnerReply> AwaitAsync(Func<Task<IRunnerReply>> query, Func<IRunnerReply, bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var reply = await query();
            if (condition(reply)) return reply;
            await Task.Delay(20, timeout.Token);
        }
    }
}
