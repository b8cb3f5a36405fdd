using Orleans.Concurrency;

namespace Bamboo.Actors.Benchmarks.Grains;

/// <summary>(d) One grain per session with the reserve / publish / finalize protocol of the session runner.</summary>
[Alias("Bamboo.Bench.ISessionGrain")]
public interface ISessionGrain : IGrainWithStringKey
{
    /// <summary>Reserve a run (reject policy).</summary>
    [Alias("Reserve")]
    Task<GrainReserveReply> Reserve();

    /// <summary>Publish progress event <paramref name="kind"/> (an index into the cycle's events) for run
    /// <paramref name="runId"/>; fenced by run id. One-way, like an unacknowledged publish.</summary>
    [OneWay, Alias("Publish")]
    Task Publish(string runId, int kind);

    /// <summary>Finalize run <paramref name="runId"/> as completed; fenced by run id.</summary>
    [Alias("Finalize")]
    Task<GrainFinalizeReply> Finalize(string runId);
}

/// <summary>Reply to <see cref="ISessionGrain.Reserve"/>.</summary>
[GenerateSerializer, Immutable, Alias("Bamboo.Bench.GrainReserveReply")]
public sealed class GrainReserveReply
{
    /// <summary>True when the run was reserved; false when another run is active.</summary>
    [Id(0)] public bool Reserved { get; init; }

    /// <summary>The new run, or the one already active.</summary>
    [Id(1)] public string RunId { get; init; } = "";
}

/// <summary>Reply to <see cref="ISessionGrain.Finalize"/>.</summary>
[GenerateSerializer, Immutable, Alias("Bamboo.Bench.GrainFinalizeReply")]
public sealed class GrainFinalizeReply
{
    /// <summary>0 finalized, 1 stale run, 2 already finalized.</summary>
    [Id(0)] public int Code { get; init; }

    /// <summary>The run's status (as <c>RunStatus</c>).</summary>
    [Id(1)] public int Status { get; init; }
}
