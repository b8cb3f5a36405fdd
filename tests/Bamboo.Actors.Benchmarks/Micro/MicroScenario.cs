using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Bamboo.Actors.Benchmarks.Harness;

namespace Bamboo.Actors.Benchmarks.Micro;

/// <summary>BenchmarkDotNet micro-benchmarks of the hot pure code and the serializer, run in this process.</summary>
public static class MicroScenario
{
    /// <summary>Runs the micro-benchmarks; <paramref name="extraArgs"/> go to BenchmarkDotNet (e.g. <c>--filter *Routing*</c>).</summary>
    public static void Run(BenchOptions options, string[] extraArgs)
    {
        Report.Heading("Micro-benchmarks (BenchmarkDotNet)", options);
        // In-process: no per-run project generation and build, which on a small shared machine costs more than the
        // measurements. Quick mode is a dry run (one invocation) that only proves the benchmarks still work.
        var job = (options.Quick ? Job.Dry : Job.ShortRun).WithToolchain(InProcessEmitToolchain.Instance);
        var config = DefaultConfig.Instance
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithOptions(ConfigOptions.DisableOptimizationsValidator | ConfigOptions.JoinSummary);
        var args = extraArgs.Length > 0 ? extraArgs : ["--filter", "*"];
        var summaries = BenchmarkSwitcher.FromTypes([typeof(RunnerStateBenchmarks), typeof(RoutingBenchmarks), typeof(SerializerBenchmarks)]).Run(args, config);
        if (summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)))
            throw new InvalidOperationException("A micro-benchmark failed; see the BenchmarkDotNet output above.");
    }
}
