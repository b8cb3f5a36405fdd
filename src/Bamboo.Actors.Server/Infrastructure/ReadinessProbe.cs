using Akka.Actor;
using Akka.Cluster;
using Akka.Persistence;
using Bamboo.Actors.Configuration;
using Microsoft.Extensions.Options;

namespace Bamboo.Actors.Server.Infrastructure;

/// <summary>
/// <c>GET /readyz</c>: whether this node should receive traffic. Checks, each <c>"ok"</c> or the reason it is not:
/// <c>actorSystem</c> (running, not shutting down), <c>cluster</c> (cluster mode only: this node is an <c>Up</c>
/// member) and <c>journal</c> (durable sessions only: the journal answers a read through Akka.Persistence, the path every
/// session takes, so an open circuit breaker or a plugin stuck initializing counts as not ready, not only a dead
/// database). The journal's answer is kept for one second and only one probe is outstanding at a time (a request waits
/// for it at most <see cref="BambooServerOptions.ReadinessTimeout"/>), so a load balancer polling this cannot load the
/// database.
/// </summary>
internal sealed class ReadinessProbe
{
    /// <summary>The persistence id the journal probe reads; no session's persistence id (<c>bamboo-session-…</c>) can be it.</summary>
    public const string ProbePersistenceId = "bamboo-readiness-probe";

    public const string Ok = "ok";

    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(1);

    /// <summary>How long one probe may take before it counts as failed (a request waits at most the readiness timeout
    /// for it): long enough for a journal plugin's first start (table creation) on a busy machine, short enough that a
    /// probe lost in a plugin restart (its stash) delays readiness after an outage by no more than this. Akka's journal
    /// circuit breaker uses the same call timeout.</summary>
    private static readonly TimeSpan ProbeLimit = TimeSpan.FromSeconds(10);

    private readonly ActorSystem _system;
    private readonly ServerLifecycle _lifecycle;
    private readonly ILogger<ReadinessProbe> _logger;
    private readonly TimeSpan _timeout;
    private readonly bool _cluster;
    private readonly string? _journalPluginId;
    private readonly Lock _lock = new();
    private Task<string>? _journalProbe;
    private (string Result, long At)? _journalAnswer;

    public ReadinessProbe(ActorSystem system, ServerLifecycle lifecycle, IOptions<BambooServerOptions> options, ILogger<ReadinessProbe> logger)
    {
        _system = system;
        _lifecycle = lifecycle;
        _logger = logger;
        _timeout = options.Value.ReadinessTimeout;
        _cluster = ((ExtendedActorSystem)system).Provider is ClusterActorRefProvider;
        var runners = BambooConfig.RunnerSettings(system);
        _journalPluginId = runners.Durable ? runners.JournalPluginId : null;
    }

    /// <summary>Starts the first journal probe, so the journal plugin initializes (creates its tables, opens its
    /// connections) while the node starts rather than at the first session or readiness request.</summary>
    public void Warm()
    {
        if (_journalPluginId is not null) _ = JournalCheckAsync();
    }

    /// <summary>Each applicable check and its answer; ready when every answer is <see cref="Ok"/>.</summary>
    public async Task<IReadOnlyDictionary<string, string>> CheckAsync()
    {
        var checks = new Dictionary<string, string> { ["actorSystem"] = ActorSystemCheck() };
        if (_cluster) checks["cluster"] = ClusterCheck();
        if (_journalPluginId is not null) checks["journal"] = await JournalCheckAsync();
        return checks;
    }

    private string ActorSystemCheck()
    {
        if (_system.WhenTerminated.IsCompleted) return "terminated";
        if (CoordinatedShutdown.Get(_system).ShutdownReason is not null || !_lifecycle.AcceptingRuns) return "shutting down";
        return Ok;
    }

    private string ClusterCheck()
    {
        var cluster = Cluster.Get(_system);
        if (cluster.IsTerminated) return "no longer a cluster member";
        return cluster.SelfMember.Status switch
        {
            MemberStatus.Up => Ok,
            // Not in the membership yet: still trying to join (the seed nodes may be unreachable).
            MemberStatus.Removed => "not yet a cluster member (joining)",
            var status => $"cluster member status is {status.ToString().ToLowerInvariant()}, not up",
        };
    }

    private async Task<string> JournalCheckAsync()
    {
        Task<string> probe;
        lock (_lock)
        {
            if (_journalAnswer is { } answer && Elapsed(answer.At) < CacheFor) return answer.Result;
            probe = _journalProbe ??= ProbeJournalAsync();
        }
        try
        {
            return await probe.WaitAsync(_timeout);
        }
        catch (TimeoutException)
        {
            // The probe goes on (up to ProbeLimit): the next request waits for the same one, so a journal that hangs
            // never has more than one probe waiting on it.
            return $"no answer within {_timeout.TotalSeconds:0.###} s";
        }
    }

    private async Task<string> ProbeJournalAsync()
    {
        // Started under the lock: the probe's work (and its bookkeeping at the end) runs after the caller has left it.
        await Task.Yield();
        string result;
        try
        {
            // The read a recovering session starts with (its highest sequence number), for an id that holds nothing:
            // one indexed query on SQL stores, behind the journal's circuit breaker. A plugin that cannot even start
            // (its actor is created on first use) fails the check the same way.
            var journal = Persistence.Instance.Apply(_system).JournalFor(_journalPluginId);
            var reply = await journal.Ask<object>(
                (IActorRef replyTo) => new ReplayMessages(1, 0, 0, ProbePersistenceId, replyTo), ProbeLimit, CancellationToken.None);
            result = reply switch
            {
                RecoverySuccess => Ok,
                ReplayMessagesFailure failure => Failed(failure.Cause),
                _ => $"unexpected answer {reply.GetType().Name}",
            };
        }
        catch (AskTimeoutException)
        {
            result = $"no answer within {ProbeLimit.TotalSeconds:0.###} s";
        }
        catch (Exception exception)
        {
            result = Failed(exception);
        }

        string? previous;
        lock (_lock)
        {
            previous = _journalAnswer?.Result;
            _journalAnswer = (result, Environment.TickCount64);
            _journalProbe = null;
        }
        if (result != previous)
        {
            if (result == Ok && previous is not null) _logger.LogInformation("Readiness: the journal answers again");
            else if (result != Ok) _logger.LogWarning("Readiness: journal check failed: {Reason}", result);
        }
        return result;
    }

    private string Failed(Exception cause)
    {
        // The answer is public (no API key on /readyz): name the kind of failure, keep its details (hosts, ports) in the log.
        _logger.LogDebug(cause, "Readiness: the journal probe failed");
        var inner = cause is AggregateException { InnerException: { } first } ? first : cause;
        return inner is Akka.Pattern.OpenCircuitException ? "circuit breaker open" : $"failed ({inner.GetType().Name})";
    }

    private static TimeSpan Elapsed(long since) => TimeSpan.FromMilliseconds(Environment.TickCount64 - since);
}
