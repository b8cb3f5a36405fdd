using System.Diagnostics;
using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Model.Records;

/// <summary>
/// Notices when the process stops running timers on time (a starved thread pool, a long GC pause, a machine out of
/// CPU): every node of the process stalls at once, misses its cluster heartbeats and lease renewals, and may be downed
/// for it. Such stalls explain unplanned downings; they are figures of the machine, not of the product.
/// </summary>
public sealed class StallMonitor : IAsyncDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Noticeable = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _stop = new();
    private readonly List<(TimeSpan At, TimeSpan Length)> _stalls = [];
    private readonly Task _watching;

    public StallMonitor(RunClock clock) => _watching = Task.Run(async () =>
    {
        while (!_stop.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await Task.Delay(Tick, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var late = Stopwatch.GetElapsedTime(started) - Tick;
            if (late < Noticeable) continue;
            lock (_stalls) _stalls.Add((clock.Now - late, late));
        }
    });

    public IReadOnlyList<(TimeSpan At, TimeSpan Length)> Stalls
    {
        get
        {
            lock (_stalls) return [.. _stalls];
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _watching;
    }
}
