namespace Bamboo.Actors.Benchmarks.Seed;

/// <summary>
/// A fair (FIFO) async reader-writer lock with the semantics of tokio's <c>RwLock</c>: a waiting writer blocks later
/// readers, and a woken waiter resumes on the scheduler rather than inline in the releasing caller.
/// </summary>
public sealed class AsyncRwLock
{
    private readonly object _gate = new();
    private readonly Queue<(bool Write, TaskCompletionSource<Guard> Waiter)> _waiters = new();
    private int _readers;
    private bool _writer;

    /// <summary>Acquires shared access (tokio <c>read().await</c>).</summary>
    public ValueTask<Guard> ReadAsync()
    {
        lock (_gate)
        {
            if (!_writer && _waiters.Count == 0)
            {
                _readers++;
                return new ValueTask<Guard>(new Guard(this, write: false));
            }
            return Enqueue(write: false);
        }
    }

    /// <summary>Acquires exclusive access (tokio <c>write().await</c>).</summary>
    public ValueTask<Guard> WriteAsync()
    {
        lock (_gate)
        {
            if (!_writer && _readers == 0 && _waiters.Count == 0)
            {
                _writer = true;
                return new ValueTask<Guard>(new Guard(this, write: true));
            }
            return Enqueue(write: true);
        }
    }

    private ValueTask<Guard> Enqueue(bool write)
    {
        var waiter = new TaskCompletionSource<Guard>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiters.Enqueue((write, waiter));
        return new ValueTask<Guard>(waiter.Task);
    }

    private void Release(bool write)
    {
        List<TaskCompletionSource<Guard>>? readers = null;
        TaskCompletionSource<Guard>? writer = null;
        lock (_gate)
        {
            if (write) _writer = false;
            else _readers--;

            while (_waiters.Count > 0 && !_writer)
            {
                var (wantsWrite, waiter) = _waiters.Peek();
                if (wantsWrite)
                {
                    if (_readers > 0) break;
                    _waiters.Dequeue();
                    _writer = true;
                    writer = waiter;
                    break;
                }
                _waiters.Dequeue();
                _readers++;
                (readers ??= []).Add(waiter);
            }
        }
        writer?.SetResult(new Guard(this, write: true));
        if (readers is not null)
        {
            foreach (var reader in readers) reader.SetResult(new Guard(this, write: false));
        }
    }

    /// <summary>Held access; dispose to release (the end of a Rust guard's scope).</summary>
    public readonly struct Guard(AsyncRwLock owner, bool write) : IDisposable
    {
        /// <inheritdoc />
        public void Dispose() => owner.Release(write);
    }
}
