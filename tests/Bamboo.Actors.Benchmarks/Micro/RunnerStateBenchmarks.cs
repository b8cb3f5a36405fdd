using BenchmarkDotNet.Attributes;
using Bamboo.Actors.Benchmarks.Targets;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;

namespace Bamboo.Actors.Benchmarks.Micro;

/// <summary>The pure state machine, no actor system: the per-command cost a session actor pays.</summary>
[MemoryDiagnoser]
public class RunnerStateBenchmarks
{
    private static readonly DateTimeOffset Now = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private RunnerState<object> _cycling = null!;
    private RunnerState<object> _running = null!;
    private string _runningRunId = null!;

    /// <summary>One state per benchmark, reused across invocations (rings fill up and wrap, as in a long-lived session).</summary>
    [GlobalSetup]
    public void Setup()
    {
        _cycling = new RunnerState<object>("session-1");
        _running = new RunnerState<object>("session-2");
        _runningRunId = ((RunnerReplies.Reserved)_running.Reserve(ConflictPolicy.Reject, null, null, null, Now).Reply!).RunId;
    }

    /// <summary>Reserve → publish 3 → finalize (the lifecycle scenario's cycle).</summary>
    [Benchmark(Baseline = true)]
    public object? Cycle()
    {
        var reserved = (RunnerReplies.Reserved)_cycling.Reserve(ConflictPolicy.Reject, null, null, null, Now).Reply!;
        foreach (var evt in BenchEvents.Cycle) _cycling.Publish(reserved.RunId, evt, acknowledge: false, Now);
        return _cycling.Finalize(reserved.RunId, RunOutcome.Completed, Now).Reply;
    }

    /// <summary>Reserve while a run is active (reject: <c>AlreadyRunning</c>).</summary>
    [Benchmark]
    public object? ReserveConflict() => _running.Reserve(ConflictPolicy.Reject, null, null, null, Now).Reply;

    /// <summary>One unacknowledged publish on the active run.</summary>
    [Benchmark]
    public object? Publish() => _running.Publish(_runningRunId, BenchEvents.Delta, acknowledge: false, Now).Reply;

    /// <summary>A finalize fenced by run id (<c>StaleRun</c>).</summary>
    [Benchmark]
    public object? FinalizeStale() => _running.Finalize("not-the-run", RunOutcome.Completed, Now).Reply;
}
