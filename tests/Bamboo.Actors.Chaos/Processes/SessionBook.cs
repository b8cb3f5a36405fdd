using System.Collections.Concurrent;

namespace Bamboo.Actors.Chaos.Processes;

/// <summary>The run ids the workload has heard of, per session: where it finds current and stale runs to target.</summary>
public sealed class SessionBook
{
    private readonly ConcurrentDictionary<string, List<string>> _runs = new(StringComparer.Ordinal);

    public void Remember(string sessionId, string? runId)
    {
        if (runId is null) return;
        var runs = _runs.GetOrAdd(sessionId, _ => []);
        lock (runs)
        {
            runs.Remove(runId);
            runs.Add(runId);
        }
    }

    /// <summary>The run most recently heard of (likely the current one), or null.</summary>
    public string? Latest(string sessionId)
    {
        if (!_runs.TryGetValue(sessionId, out var runs)) return null;
        lock (runs) return runs.Count > 0 ? runs[^1] : null;
    }

    /// <summary>An older run (likely stale), or a run id the session never had.</summary>
    public string Older(string sessionId, Random random)
    {
        if (_runs.TryGetValue(sessionId, out var runs))
        {
            lock (runs)
            {
                if (runs.Count > 1) return runs[random.Next(runs.Count - 1)];
            }
        }
        return new Guid(RandomBytes(random)).ToString();
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[16];
        random.NextBytes(bytes);
        return bytes;
    }
}
