namespace Bamboo.Actors.Chaos.History;

/// <summary>Every request of a run and its answer, on one timeline. Thread-safe.</summary>
public sealed class RequestHistory(RunClock clock)
{
    private readonly object _gate = new();
    private readonly List<HistoryEntry> _entries = [];

    public RunClock Clock { get; } = clock;

    /// <summary>Records an answered (or failed) request.</summary>
    public HistoryEntry Record(ChaosRequest request, int node, TimeSpan start, int status, string body)
    {
        lock (_gate)
        {
            var entry = new HistoryEntry(_entries.Count + 1, request, node, start, Clock.Now, status, body);
            _entries.Add(entry);
            return entry;
        }
    }

    /// <summary>A copy of the entries so far, in order of recording.</summary>
    public IReadOnlyList<HistoryEntry> Entries
    {
        get
        {
            lock (_gate) return _entries.ToArray();
        }
    }
}
