using Bamboo.Actors.Benchmarks.Targets;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Benchmarks.Grains;

/// <summary>
/// (d) The session runner as an Orleans grain. It hosts the same pure <see cref="RunnerState{TRef}"/> the Akka actor
/// hosts (so reservation, run-id fencing, stamping, retention and diagnostics are identical) and applies the same
/// effects that make sense without executors or subscribers: the run's deadline timer is started and cancelled.
/// </summary>
public sealed class SessionGrain : Grain, ISessionGrain
{
    private static readonly Task<GrainFinalizeReply> Unexpected = Task.FromResult(new GrainFinalizeReply { Code = -1 });
    private RunnerState<object> _state = null!;
    private IGrainTimer? _timer;

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _state = new RunnerState<object>(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<GrainReserveReply> Reserve()
    {
        var decision = _state.Reserve(ConflictPolicy.Reject, null, null, null, DateTimeOffset.UtcNow);
        Apply(decision);
        return Task.FromResult(decision.Reply switch
        {
            Reserved r => new GrainReserveReply { Reserved = true, RunId = r.RunId },
            AlreadyRunning a => new GrainReserveReply { Reserved = false, RunId = a.RunId },
            _ => new GrainReserveReply(),
        });
    }

    /// <inheritdoc />
    public Task Publish(string runId, int kind)
    {
        Apply(_state.Publish(runId, BenchEvents.Cycle[kind], acknowledge: false, DateTimeOffset.UtcNow));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<GrainFinalizeReply> Finalize(string runId)
    {
        var decision = _state.Finalize(runId, RunOutcome.Completed, DateTimeOffset.UtcNow);
        Apply(decision);
        return decision.Reply switch
        {
            Finalized f => Task.FromResult(new GrainFinalizeReply { Code = 0, Status = (int)f.Status }),
            StaleRun => Task.FromResult(new GrainFinalizeReply { Code = 1, Status = (int)_state.Status }),
            AlreadyFinalized a => Task.FromResult(new GrainFinalizeReply { Code = 2, Status = (int)a.Status }),
            _ => Unexpected,
        };
    }

    private void Apply(RunnerDecision<object> decision)
    {
        foreach (var effect in decision.Effects)
        {
            switch (effect)
            {
                case RunnerEffect<object>.ScheduleDeadline deadline:
                    _timer?.Dispose();
                    _timer = this.RegisterGrainTimer(OnDeadline, deadline.RunId, new GrainTimerCreationOptions(deadline.After, Timeout.InfiniteTimeSpan));
                    break;
                case RunnerEffect<object>.ScheduleGrace grace:
                    _timer?.Dispose();
                    _timer = this.RegisterGrainTimer(OnGrace, grace.RunId, new GrainTimerCreationOptions(grace.After, Timeout.InfiniteTimeSpan));
                    break;
                case RunnerEffect<object>.CancelTimers:
                    _timer?.Dispose();
                    _timer = null;
                    break;
            }
        }
    }

    private Task OnDeadline(string runId, CancellationToken cancellationToken)
    {
        Apply(_state.DeadlinePassed(runId, DateTimeOffset.UtcNow));
        return Task.CompletedTask;
    }

    private Task OnGrace(string runId, CancellationToken cancellationToken)
    {
        Apply(_state.GraceExpired(runId, DateTimeOffset.UtcNow));
        return Task.CompletedTask;
    }
}
