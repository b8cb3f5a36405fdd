using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Model.Records;

/// <summary>Every operation, notice, subscriber and fault of a model run, on one timeline. Thread-safe.</summary>
public sealed class ModelHistory(RunClock clock)
{
    private readonly object _gate = new();
    private readonly List<ModelEntry> _entries = [];
    private readonly List<SubscriberLog> _subscribers = [];
    private readonly List<ModelFault> _faults = [];
    private int _operations;

    public RunClock Clock { get; } = clock;

    public int Operations => Volatile.Read(ref _operations);

    /// <summary>Records an entry, numbering it.</summary>
    public ModelEntry Record(Func<int, ModelEntry> create)
    {
        lock (_gate)
        {
            var entry = create(_entries.Count + 1);
            _entries.Add(entry);
            if (entry.IsOperation) _operations++;
            return entry;
        }
    }

    public SubscriberLog AddSubscriber(Func<int, SubscriberLog> create)
    {
        lock (_gate)
        {
            var log = create(_subscribers.Count + 1);
            _subscribers.Add(log);
            return log;
        }
    }

    public ModelFault AddFault(ModelFault fault)
    {
        lock (_gate) _faults.Add(fault);
        return fault;
    }

    public IReadOnlyList<ModelEntry> Entries
    {
        get
        {
            lock (_gate) return [.. _entries];
        }
    }

    public IReadOnlyList<SubscriberLog> Subscribers
    {
        get
        {
            lock (_gate) return [.. _subscribers];
        }
    }

    public IReadOnlyList<ModelFault> Faults
    {
        get
        {
            lock (_gate) return [.. _faults];
        }
    }
}
