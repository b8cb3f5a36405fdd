using System.Collections.Concurrent;
using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Processes;

/// <summary>
/// The random workload: a few concurrent clients, each a loop that picks a session and does one thing with it — an
/// external worker's whole run, a managed demo run, a cancel, a snapshot read, a stale finalize or event — sending
/// every request to a random node that is up. Each client draws from its own generator seeded from the run's seed.
/// </summary>
public sealed class Workload(ChaosCluster cluster, RequestHistory history, SessionBook book, IReadOnlyList<string> sessions, int seed)
{
    private const string RetryPurpose = "retry-read";
    private static readonly string[] Policies = ["reject", "interrupt", "enqueue"];
    private static readonly TimeSpan RetryBound = TimeSpan.FromSeconds(90);

    private readonly ConcurrentDictionary<string, byte> _unanswered = new(StringComparer.Ordinal);

    public SessionBook Book { get; } = book;

    public RunClock Clock => history.Clock;

    /// <summary>Runs <paramref name="clients"/> clients until <paramref name="stop"/>; a worker stopped mid-run abandons it.</summary>
    public Task RunAsync(int clients, CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(() => ClientAsync(client, stop))));

    /// <summary>
    /// Sends <paramref name="request"/> to a random node that is up (waiting while none is). A session left unanswered
    /// by a node that stayed up is then read by the next free client until it answers again, as a client would retry:
    /// this is what measures how long a session stays unavailable after a fault.
    /// </summary>
    public async Task<HistoryEntry> SendAsync(ChaosRequest request, Random random)
    {
        while (true)
        {
            if (cluster.RandomUpNode(random) is not { } node)
            {
                await Task.Delay(100);
                continue;
            }
            var incarnation = node.Incarnation;
            var answer = await node.SendAsync(request, history);
            if (answer.Unavailable && node.IsUp && node.Incarnation == incarnation && request.Purpose != RetryPurpose)
                _unanswered.TryAdd(request.SessionId, 0);
            return answer;
        }
    }

    /// <summary>A conflict policy, at random.</summary>
    public static string Policy(Random random) => Policies[random.Next(Policies.Length)];

    /// <summary>Waits <paramref name="delay"/> (none if negative); false if the workload was stopped meanwhile.</summary>
    public static async Task<bool> PauseAsync(TimeSpan delay, CancellationToken stop)
    {
        try
        {
            await Task.Delay(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, stop);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task ClientAsync(int client, CancellationToken stop)
    {
        var random = new Random(unchecked(seed * 7919 + client));
        while (!stop.IsCancellationRequested)
        {
            if (_unanswered.Keys.FirstOrDefault() is { } unanswered && _unanswered.TryRemove(unanswered, out _))
            {
                await ReadUntilAnsweredAsync(unanswered, random, stop);
                continue;
            }
            var session = sessions[random.Next(sessions.Count)];
            var roll = random.NextDouble();
            if (roll < 0.35) await new ExternalWorker(this, session, random).RunAsync(stop);
            else if (roll < 0.55) await StartManagedRunAsync(session, random);
            else if (roll < 0.65) await CancelAsync(session, random);
            else if (roll < 0.75) await StaleWriteAsync(session, random);
            else await SendAsync(ChaosRequest.ReadSnapshot(session, "read"), random);
            await PauseAsync(TimeSpan.FromMilliseconds(random.Next(20, 200)), stop);
        }
    }

    private async Task ReadUntilAnsweredAsync(string session, Random random, CancellationToken stop)
    {
        var until = Clock.Now + RetryBound;
        while (Clock.Now < until)
        {
            var read = await SendAsync(ChaosRequest.ReadSnapshot(session, RetryPurpose), random);
            if (!read.Unavailable || !await PauseAsync(TimeSpan.FromMilliseconds(500), stop)) return;
        }
    }

    private async Task StartManagedRunAsync(string session, Random random)
    {
        var agent = random.NextDouble() switch { < 0.5 => "sleep", < 0.8 => "echo", _ => "fail" };
        object body = agent switch
        {
            "sleep" => new { agent, durationMs = random.Next(200, WorkloadPlan.MaxSleepMs + 1), onConflict = Policy(random) },
            _ => new { agent, input = $"chaos {random.Next(1000)} says hello", onConflict = Policy(random) },
        };
        var answer = await SendAsync(ChaosRequest.StartRun(session, body), random);
        Book.Remember(session, answer.Reply("runId"));
    }

    private async Task CancelAsync(string session, Random random)
    {
        var (runId, purpose) = random.NextDouble() switch
        {
            < 0.4 => (null, "session"),
            < 0.7 => (Book.Latest(session), "current"),
            _ => (Book.Older(session, random), "stale"),
        };
        await SendAsync(ChaosRequest.Cancel(session, runId, purpose), random);
    }

    private async Task StaleWriteAsync(string session, Random random)
    {
        var runId = Book.Older(session, random);
        var request = random.NextDouble() < 0.6
            ? ChaosRequest.Finalize(session, runId, "completed", "stale")
            : ChaosRequest.PublishEvent(session, runId, ExternalWorker.RandomEvent(random), "stale");
        await SendAsync(request, random);
    }
}
