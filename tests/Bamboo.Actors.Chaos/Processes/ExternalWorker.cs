using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Processes;

/// <summary>
/// One external worker's life over HTTP: reserve (any policy, a deadline of a few seconds), post a few events (its
/// heartbeat), then finalize — or finalize twice, or finalize after the deadline ended the run, or abandon the run for
/// its deadline to end. A queued reservation waits (reading the snapshot) until it runs, or is abandoned.
/// </summary>
public sealed class ExternalWorker(Workload workload, string session, Random random)
{
    private static readonly string[] Outcomes = ["completed", "completed", "completed", "completed", "cancelled", "error"];

    public async Task RunAsync(CancellationToken stop)
    {
        var deadlineMs = random.Next(WorkloadPlan.MinDeadlineMs, WorkloadPlan.MaxDeadlineMs + 1);
        var reservation = await SendAsync(ChaosRequest.Reserve(session, Workload.Policy(random), deadlineMs));
        var runId = reservation.Reply("runId");
        workload.Book.Remember(session, runId);
        switch (reservation.Status)
        {
            case 201:
                await WorkAsync(runId!, reservation.End + TimeSpan.FromMilliseconds(deadlineMs), stop);
                break;
            case 202 when await WaitUntilRunningAsync(runId!, stop) is { } startedAt:
                await WorkAsync(runId!, startedAt + TimeSpan.FromMilliseconds(deadlineMs), stop);
                break;
            case 409 when random.NextDouble() < 0.3:
                // Someone else's run is active: a finalize for one of this session's older runs must be refused.
                await SendAsync(ChaosRequest.Finalize(session, workload.Book.Older(session, random), "completed", "stale"));
                break;
        }
    }

    /// <summary>A progress event an executor may post, at random.</summary>
    public static object RandomEvent(Random random) => random.Next(5) switch
    {
        0 => new { type = "token_delta", text = $"token {random.Next(100)} " },
        1 => new { type = "tool_started", toolName = "search" },
        2 => new { type = "tool_lifecycle", toolName = "search", phase = "finished" },
        3 => new { type = "runner_progress", roundCount = random.Next(1, 10) },
        _ => new { type = "token_budget", used = random.Next(1000), limit = 4096 },
    };

    private async Task WorkAsync(string runId, TimeSpan deadline, CancellationToken stop)
    {
        for (var events = random.Next(0, 6); events > 0; events--)
        {
            if (!await Workload.PauseAsync(TimeSpan.FromMilliseconds(random.Next(100, 700)), stop)) return;
            var answer = await SendAsync(ChaosRequest.PublishEvent(session, runId, RandomEvent(random), "current"));
            if (answer.Status == 409)
            {
                // Interrupted, cancelled or timed out meanwhile: a worker that finalizes anyway must be refused.
                if (random.NextDouble() < 0.5) await SendAsync(ChaosRequest.Finalize(session, runId, "completed", "after-stale"));
                return;
            }
            if (answer.Json?.TryGetProperty("cancelRequested", out var cancel) == true && cancel.ValueKind == System.Text.Json.JsonValueKind.True)
            {
                await FinalizeAsync(runId, "cancelled", "current");
                return;
            }
        }

        var ending = random.NextDouble();
        if (ending < 0.55)
        {
            await FinalizeAsync(runId, Outcomes[random.Next(Outcomes.Length)], "current");
        }
        else if (ending < 0.70)
        {
            var outcome = Outcomes[random.Next(Outcomes.Length)];
            await FinalizeAsync(runId, outcome, "current");
            await SendAsync(ChaosRequest.Finalize(session, runId, outcome, "repeat"));
        }
        else if (ending < 0.90)
        {
            // Abandoned: the deadline (plus its grace) ends the run.
        }
        else if (await Workload.PauseAsync(deadline + WorkloadPlan.DeadlineGrace + TimeSpan.FromSeconds(1) - Now, stop))
        {
            await SendAsync(ChaosRequest.Finalize(session, runId, "completed", "late"));
        }
    }

    /// <summary>Finalizes; one retry when the answer was lost or 503 (the first may still have taken effect).</summary>
    private async Task FinalizeAsync(string runId, string outcome, string purpose)
    {
        var answer = await SendAsync(ChaosRequest.Finalize(session, runId, outcome, purpose));
        if (answer.Unavailable) await SendAsync(ChaosRequest.Finalize(session, runId, outcome, "retry"));
    }

    /// <summary>Reads the snapshot until the queued run runs (then a time by which it had started) or is over or long gone (null).</summary>
    private async Task<TimeSpan?> WaitUntilRunningAsync(string runId, CancellationToken stop)
    {
        var giveUp = Now + TimeSpan.FromMilliseconds(WorkloadPlan.MaxDeadlineMs) + WorkloadPlan.DeadlineGrace;
        while (Now < giveUp && await Workload.PauseAsync(TimeSpan.FromMilliseconds(400), stop))
        {
            var snapshot = await SendAsync(ChaosRequest.ReadSnapshot(session, "queued-wait"));
            if (snapshot.Reply("runId") != runId) continue;
            return snapshot.Reply("status") == "running" ? snapshot.End : null;
        }
        return null;
    }

    private TimeSpan Now => workload.Clock.Now;

    private Task<HistoryEntry> SendAsync(ChaosRequest request) => workload.SendAsync(request, random);
}
