using System.Reflection;
using System.Runtime;
using System.Runtime.InteropServices;

namespace Bamboo.Actors.Benchmarks.Harness;

/// <summary>What the numbers were measured on, printed with every table.</summary>
public static class MachineInfo
{
    /// <summary>One markdown line: cores, CPU, OS, .NET, GC mode, library versions.</summary>
    public static string Describe(BenchOptions options) =>
        $"machine: {Environment.ProcessorCount} cores ({CpuModel()}), {MemoryGiB()} GiB, {RuntimeInformation.OSDescription}, " +
        $"{RuntimeInformation.FrameworkDescription}, {GcMode()}; Akka {Version(typeof(Akka.Actor.ActorSystem))}, " +
        $"Orleans {Version(typeof(Orleans.IGrainFactory))}; {(options.Quick ? "QUICK mode (small counts: smoke test, not results)" : "full mode")}";

    /// <summary>The GC configuration of this process.</summary>
    public static string GcMode() =>
        $"{(GCSettings.IsServerGC ? "Server GC" : "Workstation GC")}{(GCSettings.LatencyMode == GCLatencyMode.Batch ? " (non-concurrent)" : " (concurrent)")}";

    private static string Version(Type type) =>
        type.Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+', ' ')[0].TrimEnd('.')
        ?? type.Assembly.GetName().Version?.ToString() ?? "?";

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }

    private static string MemoryGiB() => (GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024)).ToString("0");
}
