using Akka.Actor;
using Akka.Cluster;
using Bamboo.Actors.Cluster.Tests.Infrastructure;
using Bamboo.Actors.Hosting;
using Bamboo.Actors.Protocol;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Cluster.Tests.Scenarios;

/// <summary>
/// Two clusters on one journal (a misconfigured seed list, a partition that both sides survived): the shard lease on
/// the shared database lets only one of them run a session at a time, so a session never has two writers or two active
/// runs. The other cluster serves the session once the first lets go of it, from what the first recorded.
/// </summary>
public sealed class TwoClustersSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Remote = TimeSpan.FromSeconds(10);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "bamboo-two-clusters", Guid.NewGuid().ToString("N"));
    private ClusterNode _first = null!;
    private ClusterNode _second = null!;

    public async Task InitializeAsync()
    {
        var profile = ClusterProfile.Stable with
        {
            Runners = options =>
            {
                options.Persistence.Mode = BambooPersistenceMode.Sqlite;
                options.Persistence.DataFolder = _folder;
            },
            // Short lease timings, so the second cluster's takeover is quick to watch.
            ExtraHocon = """
                bamboo.coordination.lease {
                  heartbeat-timeout = 3s
                  heartbeat-interval = 500ms
                  lease-operation-timeout = 1s
                }
                """,
        };
        // Each node joins itself: two clusters of one node each, on one SQLite journal.
        _first = await ClusterNode.StartAsync("cluster-1", [], profile);
        _second = await ClusterNode.StartAsync("cluster-2", [], profile);
        foreach (var node in new[] { _first, _second })
            await Eventually.TrueAsync(() => node.Cluster.State.Members.Count(m => m.Status == MemberStatus.Up) == 1, Remote, $"{node} up");
    }

    [Fact]
    public async Task Should_let_one_cluster_at_a_time_run_a_session_on_a_shared_journal()
    {
        // Reads may be repeated until the first cluster has its shards (a cold start: the journal, the shard's lease on
        // the database, the coordinator's first allocation); the reservation is sent once.
        await Eventually.AnswerAsync<RunnerSnapshot>(_first.Runners, new GetStatus("shared"), TimeSpan.FromSeconds(30));
        var run = await _first.Runners.Ask<Reserved>(new Reserve("shared", Deadline: TimeSpan.FromMinutes(10)), Remote);

        // The second cluster cannot get the session's shard while the first holds its lease: no answer, no second run.
        await Assert.ThrowsAsync<AskTimeoutException>(() => _second.Runners.Ask<IRunnerReply>(new GetStatus("shared"), TimeSpan.FromSeconds(3)));
        Assert.Equal(run.RunId, (await _first.Runners.Ask<RunnerSnapshot>(new GetStatus("shared"), Remote)).RunId);

        // Once the first cluster stops (draining the run: it ends as "shutdown"), the second takes the shard and serves
        // the session exactly as the first recorded it.
        await _first.LeaveAsync();
        var status = await Eventually.AnswerAsync<RunnerSnapshot>(_second.Runners, new GetStatus("shared"), TimeSpan.FromSeconds(30));
        Assert.Equal((RunStatus.Error, run.RunId, "shutdown"), (status.Status, status.RunId, status.Error));
        var next = await _second.Runners.Ask<IRunnerReply>(new Reserve("shared"), Remote);
        Assert.NotEqual(run.RunId, Assert.IsType<Reserved>(next).RunId);

        // One writer at a time: the session's journal rows go from one incarnation to the next, never back.
        var writers = JournalWriters("bamboo-session-shared");
        output.WriteLine($"writers in sequence order: {string.Join(", ", writers)}");
        var handovers = writers.Where((writer, i) => i == 0 || writers[i - 1] != writer).ToList();
        Assert.Equal(handovers.Distinct().Count(), handovers.Count);
        Assert.Equal(2, handovers.Count);
    }

    /// <summary>The writer of each of a persistence id's journal rows, in sequence order.</summary>
    private List<string> JournalWriters(string persistenceId)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_folder, "bamboo.db")}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT writer_uuid FROM journal WHERE persistence_id = $id ORDER BY sequence_number";
        command.Parameters.AddWithValue("$id", persistenceId);
        using var reader = command.ExecuteReader();
        var writers = new List<string>();
        while (reader.Read()) writers.Add(reader.GetString(0));
        return writers;
    }

    public async Task DisposeAsync()
    {
        await _second.DisposeAsync();
        await _first.DisposeAsync();
        SqliteConnection.ClearAllPools();
    }
}
