using Bamboo.Actors.TestSupport;

namespace Bamboo.Actors.Chaos.Processes;

/// <summary><c>processes</c>: a long run of the multi-process harness from the command line; exit code 1 on violations.</summary>
public static class ProcessesCommand
{
    public const string Name = "processes";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        ProcessesOptions options;
        try
        {
            options = ProcessesOptions.Parse(args, TestPostgres.ConnectionString);
        }
        catch (ArgumentException problem)
        {
            await Console.Error.WriteLineAsync($"{problem.Message}\nusage: {ProcessesOptions.Usage}");
            return 2;
        }
        var gate = new object();
        var result = await ProcessesChaosRun.RunAsync(options, line =>
        {
            lock (gate) Console.WriteLine(line);
        });
        Console.WriteLine();
        Console.Write(result.Report);
        return result.Violations.Count == 0 ? 0 : 1;
    }
}
