using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;

namespace Bamboo.Actors.Benchmarks.Seed;

/// <summary>The seed's <c>AgentStatus</c>.</summary>
public enum AgentStatus
{
    /// <summary>No run yet.</summary>
    Pending,
    /// <summary>Running.</summary>
    Running,
    /// <summary>Ended successfully.</summary>
    Completed,
    /// <summary>Cancelled.</summary>
    Cancelled,
    /// <summary>Failed.</summary>
    Error,
}

/// <summary>The seed's per-session broadcast sender (tokio <c>broadcast</c>, capacity 1,000): with no receiver a send
/// is refused at once and nothing is stored.</summary>
public sealed class BroadcastSender
{
    private readonly object _gate = new();
    private readonly AgentEvent?[] _ring = new AgentEvent?[1000];
    private long _tail;
    private int _receivers;

    /// <summary>Adds a receiver (a subscriber).</summary>
    public void Subscribe()
    {
        lock (_gate) _receivers++;
    }

    /// <summary>Sends to every receiver; false when there is none.</summary>
    public bool Send(AgentEvent evt)
    {
        lock (_gate)
        {
            if (_receivers == 0) return false;
            _ring[_tail++ % _ring.Length] = evt;
            return true;
        }
    }
}

/// <summary>The seed's <c>AgentRunner</c> (<c>runner_state.rs</c>).</summary>
public sealed class AgentRunner
{
    /// <summary>Critical events kept for late subscribers.</summary>
    public const int CriticalRing = 32;

    /// <summary>The session's broadcast sender.</summary>
    public BroadcastSender EventSender { get; set; } = new();

    /// <summary>Cancels the run.</summary>
    public CancellationTokenSource CancelToken { get; } = new();

    /// <summary>Status.</summary>
    public AgentStatus Status { get; set; } = AgentStatus.Pending;

    /// <summary>Error message of <see cref="AgentStatus.Error"/>.</summary>
    public string? Error { get; set; }

    /// <summary>Start time.</summary>
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>End time.</summary>
    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>Latest budget event (replayed).</summary>
    public AgentEvent? LastBudgetEvent { get; set; }

    /// <summary>Ring of the last critical events.</summary>
    public Queue<AgentEvent> LastCriticalEvents { get; } = new();

    /// <summary>Diagnostics: latest tool.</summary>
    public string? LastToolName { get; set; }

    /// <summary>Diagnostics: phase of the latest tool.</summary>
    public string? LastToolPhase { get; set; }

    /// <summary>Liveness: latest event time.</summary>
    public DateTimeOffset? LastEventAt { get; set; }

    /// <summary>Diagnostics: rounds.</summary>
    public int RoundCount { get; set; }

    /// <summary>UUID v4, new per runner.</summary>
    public string RunId { get; } = Guid.NewGuid().ToString();
}

/// <summary>The seed's <c>RunnerReservation</c>.</summary>
public sealed record RunnerReservation(CancellationToken CancelToken, string RunId);

/// <summary>
/// A C# port of <c>runner_lifecycle.rs</c> with its neighbours: one async reader-writer lock over a dictionary of every
/// runner ever seen, taken for write by every reservation, forwarded event and finalization. Reproduced as-is,
/// including what Bamboo.Actors fixes (finalize is not fenced by run id; the map is never pruned), because this is
/// the baseline being measured.
/// </summary>
public sealed class SeedRunners
{
    private readonly AsyncRwLock _runnersLock = new();
    private readonly Dictionary<string, AgentRunner> _runners = [];
    private readonly AsyncRwLock _sessionsLock = new();
    private readonly Dictionary<string, BroadcastSender> _sessionEvents = [];

    /// <summary>Number of runners in the map.</summary>
    public int Count => _runners.Count;

    /// <summary><c>session_events.rs</c>: the session's broadcast sender, get-or-create with a double-checked lock.</summary>
    public async ValueTask<BroadcastSender> GetOrCreateSenderAsync(string sessionId)
    {
        using (await _sessionsLock.ReadAsync().ConfigureAwait(false))
        {
            if (_sessionEvents.TryGetValue(sessionId, out var existing)) return existing;
        }
        using (await _sessionsLock.WriteAsync().ConfigureAwait(false))
        {
            if (_sessionEvents.TryGetValue(sessionId, out var existing)) return existing;
            var sender = new BroadcastSender();
            _sessionEvents[sessionId] = sender;
            return sender;
        }
    }

    /// <summary><c>try_reserve_runner</c>: null when a runner is already running.</summary>
    public async ValueTask<RunnerReservation?> TryReserveRunnerAsync(string sessionId, BroadcastSender eventSender)
    {
        using (await _runnersLock.WriteAsync().ConfigureAwait(false))
        {
            if (_runners.TryGetValue(sessionId, out var existing) && existing.Status == AgentStatus.Running) return null;
            _runners.Remove(sessionId);
            var runner = new AgentRunner { Status = AgentStatus.Running, EventSender = eventSender };
            var reservation = new RunnerReservation(runner.CancelToken.Token, runner.RunId);
            _runners[sessionId] = runner;
            return reservation;
        }
    }

    /// <summary><c>event_forwarder.rs</c>, one event: update the runner's diagnostics under the lock, then broadcast.</summary>
    public async ValueTask ForwardAsync(string sessionId, BroadcastSender eventSender, AgentEvent evt)
    {
        using (await _runnersLock.WriteAsync().ConfigureAwait(false))
        {
            if (_runners.TryGetValue(sessionId, out var runner))
            {
                runner.LastEventAt = DateTimeOffset.UtcNow;
                switch (evt)
                {
                    case TokenBudget:
                        runner.LastBudgetEvent = evt;
                        break;
                    case ToolStarted tool:
                        runner.LastToolName = tool.ToolName;
                        runner.LastToolPhase = "begin";
                        break;
                    case ToolLifecycle tool:
                        runner.LastToolName = tool.ToolName;
                        runner.LastToolPhase = tool.Phase.ToWire();
                        break;
                    case RunnerProgress progress:
                        runner.RoundCount = progress.RoundCount;
                        break;
                }
                if (evt.IsCritical())
                {
                    if (runner.LastCriticalEvents.Count == AgentRunner.CriticalRing) runner.LastCriticalEvents.Dequeue();
                    runner.LastCriticalEvents.Enqueue(evt);
                }
            }
        }
        eventSender.Send(evt);
    }

    /// <summary><c>finalize_runner</c>: sets the terminal status of whatever runner the session has (not fenced).</summary>
    public async ValueTask FinalizeRunnerAsync(string sessionId, Exception? result)
    {
        using (await _runnersLock.WriteAsync().ConfigureAwait(false))
        {
            if (_runners.TryGetValue(sessionId, out var runner))
            {
                (runner.Status, runner.Error) = result switch
                {
                    null => (AgentStatus.Completed, null),
                    OperationCanceledException => (AgentStatus.Cancelled, null),
                    _ => (AgentStatus.Error, result.Message),
                };
                runner.CompletedAt = DateTimeOffset.UtcNow;
            }
        }
    }
}
