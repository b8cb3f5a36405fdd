using System.Globalization;

namespace Bamboo.Actors.Benchmarks.Harness;

/// <summary>Whole-machine CPU counters (every process), from <c>/proc/stat</c> on Linux.</summary>
public static class MachineCpu
{
    /// <summary>Busy and total CPU time of all cores in clock ticks since boot; null where <c>/proc/stat</c> is not readable.</summary>
    public static (long Busy, long Total)? Read()
    {
        try
        {
            using var reader = new StreamReader("/proc/stat");
            var line = reader.ReadLine();
            if (line is null || !line.StartsWith("cpu ", StringComparison.Ordinal)) return null;
            // user nice system idle iowait irq softirq steal ...: idle and iowait are the idle time.
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            var total = fields.Take(8).Sum();
            var idle = fields[3] + (fields.Length > 4 ? fields[4] : 0);
            return (total - idle, total);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
