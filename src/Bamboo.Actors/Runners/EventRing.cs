namespace Bamboo.Actors.Runners;

/// <summary>
/// A bounded FIFO of items in insertion order that evicts the oldest when full. Storage grows on demand up to the
/// capacity, so an idle session that never saw an event costs no buffer.
/// </summary>
internal sealed class EventRing<T> where T : class
{
    private readonly int _capacity;
    private T[] _items = [];
    private int _head; // index of the oldest item
    private int _count;

    public EventRing(int capacity) => _capacity = capacity;

    public int Count => _count;

    /// <summary>The i-th oldest item.</summary>
    public T this[int index] => _items[(_head + index) % _items.Length];

    public void Add(T item)
    {
        if (_capacity == 0) return;
        if (_count == _capacity)
        {
            _items[_head] = item;
            _head = (_head + 1) % _capacity;
            return;
        }
        if (_count == _items.Length) Grow();
        _items[(_head + _count) % _items.Length] = item;
        _count++;
    }

    private void Grow()
    {
        var next = new T[Math.Min(_capacity, Math.Max(4, _items.Length * 2))];
        for (var i = 0; i < _count; i++) next[i] = this[i];
        _items = next;
        _head = 0;
    }
}
