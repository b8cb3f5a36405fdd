using Bamboo.Actors.Chaos.History;
using Bamboo.Actors.Chaos.Model.Checks;
using Bamboo.Actors.Chaos.Model.Records;
using Bamboo.Actors.TestSupport;
using Xunit.Abstractions;

namespace Bamboo.Actors.Chaos.Model;

/// <summary>
/// The store goes away under load on a three-node cluster (PostgreSQL, cut through a proxy) for longer than a shard's
/// lease outlives its failed renewals, so every shard stops and must start again from the store once it returns:
/// meanwhile commands answer <c>Unavailable</c> (or time out) and no run is lost or duplicated (every model check);
/// afterwards every node serves again, and every session that went unanswered answers again, within seconds.
/// </summary>
public sealed class ModelOutageSpecs(ITestOutputHelper output)
{
    /// <summary>Longer than the shard lease's lapse (4 s of failed renewals in the model profile).</summary>
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(6);

    /// <summary>How soon after the store returns every session must answer again.</summary>
    private static readonly TimeSpan Resumed = TimeSpan.FromSeconds(12);

    [SkippableFact]
    public async Task Should_answer_unavailable_during_a_store_outage_lose_no_run_and_serve_again_within_seconds()
    {
        var missing = TestPostgres.MissingReason();
        Skip.If(missing is not null, missing);
        var options = new ModelOptions
        {
            Seed = 7,
            Postgres = TestPostgres.ConnectionString,
            Operations = 1_500,
            PlannedFaults = 1,
            FaultKinds = [ModelFaultKind.Outage],
            OutageLength = (Outage, Outage),
            JournalFaults = false,
            MaxDuration = TimeSpan.FromMinutes(3),
            MaxDeadline = TimeSpan.FromSeconds(8),
            FaultPause = (TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(3)),
        };
        var gate = new object();
        var result = await ModelChaosRun.RunAsync(options, line =>
        {
            lock (gate) output.WriteLine(line);
        });
        output.WriteLine(result.Report);

        var outage = Assert.Single(result.Record.Faults, fault => fault.Kind == ModelFaultKind.Outage);
        var restored = outage.TerminatedAt ?? throw new InvalidOperationException("the store was never restored");
        Assert.True(outage.HealedAt is not null, $"the cluster did not serve again after the outage: {outage.Describe()}");

        // During: commands were refused as unavailable (or went unanswered), none succeeded by writing nothing.
        var during = result.Record.Entries.Where(entry => entry.IsOperation && entry.Start >= outage.At && entry.End <= restored).ToArray();
        Assert.Contains(during, entry => entry.Outcome == Outcome.Unavailable);

        // After: every node serves again, and every session that went unanswered answers again, within seconds — not
        // counting the time the whole test process stood still (a starved machine: its timers and heartbeats late).
        var healed = outage.HealedAt!.Value;
        var stalled = Stalled(result.Record, restored, healed);
        Assert.True(healed - restored - stalled <= Resumed,
            $"the nodes served again only {RunClock.Seconds(healed - restored)} after the store returned ({RunClock.Seconds(stalled)} of it stalled)");
        var recovery = result.Figures.Recovery.GetValueOrDefault("store outage");
        Assert.True(recovery is not null, "no session went unanswered during the outage: the spec proved nothing");
        var slowest = recovery.Max - (restored - outage.At);
        var slowestStalled = Stalled(result.Record, restored, restored + slowest);
        Assert.True(slowest - slowestStalled <= Resumed,
            $"a session answered again only {RunClock.Seconds(slowest)} after the store returned ({RunClock.Seconds(slowestStalled)} of it stalled; {recovery})");

        // Nothing lost or duplicated: one active run per session, acknowledged outcomes kept, every run ended in time.
        Assert.True(result.Violations.Count == 0,
            $"{result.Violations.Count} violations (seed {options.Seed}; {options.Reproduce()}):\n" +
            string.Join("\n", result.Violations.Select(violation => $"[{violation.Check}] {violation.Summary}")));
    }

    /// <summary>How long the whole process stood still between <paramref name="from"/> and <paramref name="to"/>.</summary>
    private static TimeSpan Stalled(ModelRecord record, TimeSpan from, TimeSpan to) =>
        record.Stalls.Aggregate(TimeSpan.Zero, (sum, stall) =>
            sum + (Min(stall.At + stall.Length, to) - Max(stall.At, from) is var overlap && overlap > TimeSpan.Zero ? overlap : TimeSpan.Zero));

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
