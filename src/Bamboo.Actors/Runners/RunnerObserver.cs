using Akka.Actor;
using Akka.Event;
using Bamboo.Actors.Diagnostics;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Runners;

/// <summary>
/// Watches one session runner's decisions for metrics (the <c>Bamboo.Actors</c> meter) and the one log line per run
/// start and finish. <c>bamboo.runs.active</c> counts a run while this incarnation holds it: from its start (or from
/// recovery) until it finishes or the incarnation stops (hand-off, passivation, node shutdown), so the gauge summed over
/// the nodes is the number of runs running.
/// </summary>
internal sealed class RunnerObserver(IActorContext context, string sessionId)
{
    private string? _countedRunId;
    private ILoggingAdapter? _log; // created on the first line written: most runners never write one

    /// <summary>Whether run starts and finishes are logged (the same test the logger makes, without creating it).</summary>
    private bool InfoEnabled => context.System.EventStream.LogLevel <= LogLevel.InfoLevel;

    private ILoggingAdapter Log => _log ??= context.GetLogger();

    /// <summary>The runner is in memory.</summary>
    public void Started() => BambooMetrics.SessionsLive.Add(1);

    /// <summary>A durable runner recovered <paramref name="runningRunId"/> as running (null: no run).</summary>
    public void Recovered(string? runningRunId)
    {
        if (runningRunId is not null) Count(runningRunId);
    }

    /// <summary>A reservation met an active run (<paramref name="conflict"/>) and was decided as <paramref name="reply"/>.</summary>
    public void Reserved(ConflictPolicy policy, bool conflict, IRunnerReply? reply)
    {
        if (!conflict) return;
        BambooMetrics.ReserveConflict(policy, reply switch
        {
            AlreadyRunning => "already_running",
            RunnerReplies.Reserved => "interrupted",
            Queued => "queued",
            _ => "queue_full",
        });
    }

    /// <summary>An event was published.</summary>
    public void Emitted(AgentEvent evt)
    {
        BambooMetrics.EventPublished(evt);
        switch (evt)
        {
            case ExecutionStarted:
                BambooMetrics.RunsStarted.Add(1);
                Count(evt.RunId);
                if (InfoEnabled) Log.Info("Run {RunId} started in session {SessionId}", evt.RunId, sessionId);
                break;
            case ExecutionFinished finished:
                BambooMetrics.RunFinished(finished.Status);
                // A queued run withdrawn before it started finishes too, but was never counted.
                if (evt.RunId == _countedRunId) Uncount();
                if (InfoEnabled)
                {
                    Log.Info("Run {RunId} finished in session {SessionId} with status {Status} {Error}",
                        evt.RunId, sessionId, finished.Status, finished.Error ?? "");
                }
                break;
        }
    }

    /// <summary>The runner left memory; a run it still held is counted by its next incarnation, if any.</summary>
    public void Stopped()
    {
        BambooMetrics.SessionsLive.Add(-1);
        if (_countedRunId is not null) Uncount();
    }

    private void Count(string runId)
    {
        if (_countedRunId is not null) BambooMetrics.RunsActive.Add(-1);
        _countedRunId = runId;
        BambooMetrics.RunsActive.Add(1);
    }

    private void Uncount()
    {
        _countedRunId = null;
        BambooMetrics.RunsActive.Add(-1);
    }
}
