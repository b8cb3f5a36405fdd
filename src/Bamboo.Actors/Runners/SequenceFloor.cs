namespace Bamboo.Actors.Runners;

/// <summary>
/// Keeps in-memory sessions' event sequences from going backwards while the process lives: every in-memory runner that
/// stops raises the floor to its last sequence, and every new incarnation numbers its events above the floor. One floor
/// per supervisor (or shard region), shared by all its sessions, so memory does not grow with the sessions ever seen;
/// a new session's numbering starts above the busiest session's so far, which is a cursor no client of that session
/// can hold. Durable sessions keep their numbering in the journal instead.
/// </summary>
public sealed class SequenceFloor
{
    private long _value;

    /// <summary>A floor at 0: numbering starts at 1.</summary>
    public SequenceFloor()
    {
    }

    /// <summary>Every sequence used by a runner that has stopped is at most this.</summary>
    public long Value => Interlocked.Read(ref _value);

    /// <summary>Raises the floor: a runner stopped having used sequences up to <paramref name="lastSequence"/>. Called before its
    /// termination is reported, so an incarnation created for the same session afterwards always sees it.</summary>
    public void Raise(long lastSequence)
    {
        var current = Interlocked.Read(ref _value);
        while (lastSequence > current)
        {
            var seen = Interlocked.CompareExchange(ref _value, lastSequence, current);
            if (seen == current) return;
            current = seen;
        }
    }
}
