using Akka.Actor;
using Akka.Cluster;
using Bamboo.Actors.Cluster.Tests.Infrastructure;
using Bamboo.Actors.Hosting;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Routing;
using Bamboo.Actors.Sharding;
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
            // Short lease timings, so the second cluster's takeover is quick to watch; the second cluster on purpose,
            // so the guard that would shut it down (it sees the first cluster's coordinator renew its lease) is off.
            ExtraHocon = """
                bamboo.cluster.second-cluster-guard = off
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

    [Fact]
    public async Task Should_run_one_shard_coordinator_at_a_time_on_a_shared_journal()
    {
        const string first = "first", other = "other";
        var extractor = new SessionMessageExtractor();
        Assert.NotEqual(extractor.ShardId(first, null), extractor.ShardId(other, null));
        await Eventually.AnswerAsync<RunnerSnapshot>(_first.Runners, new GetStatus(first), TimeSpan.FromSeconds(30));

        // The second cluster's coordinator does not start while the first's holds the coordinator's lease: not even a
        // shard that nobody holds is allocated there, and the coordinator's state in the journal has one writer. (A
        // coordinator of its own would read that state, take the first cluster's shards from regions it cannot see,
        // and write that.)
        Assert.NotNull(await CoordinatorOf(_first));
        await Assert.ThrowsAsync<AskTimeoutException>(() => _second.Runners.Ask<IRunnerReply>(new GetStatus(other), TimeSpan.FromSeconds(4)));
        Assert.Null(await CoordinatorOf(_second));
        var coordinator = JournalWriters(CoordinatorId);
        Assert.NotEmpty(coordinator);
        Assert.Single(coordinator.Distinct());

        // Once the first cluster leaves (its coordinator gives the lease back), the second's coordinator starts.
        await _first.LeaveAsync();
        await Eventually.AnswerAsync<RunnerSnapshot>(_second.Runners, new GetStatus(other), TimeSpan.FromSeconds(30));
        Assert.NotNull(await CoordinatorOf(_second));
        var writers = JournalWriters(CoordinatorId);
        output.WriteLine($"coordinator writers in sequence order: {string.Join(", ", writers)}");
        Assert.Equal(2, writers.Where((writer, i) => i == 0 || writers[i - 1] != writer).Count());
    }

    /// <summary>The node's shard coordinator singleton (the supervisor that keeps the coordinator running), if it runs one.</summary>
    private static async Task<IActorRef?> CoordinatorOf(ClusterNode node) =>
        (await node.System.ActorSelection($"/system/sharding/{BambooSharding.TypeName}Coordinator/singleton")
            .Ask<ActorIdentity>(new Identify(null), Remote)).Subject;

    /// <summary>The persistence id of the session shards' coordinator (its state: which shard lives in which region).</summary>
    private const string CoordinatorId = "/system/sharding/" + BambooSharding.TypeName + "Coordinator/singleton/coordinator";

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
