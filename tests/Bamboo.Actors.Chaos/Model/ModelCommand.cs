using Bamboo.Actors.TestSupport;

namespace Bamboo.Actors.Chaos.Model;

/// <summary><c>model</c>: a model run from the command line (long with <c>--minutes</c>); exit code 1 on violations.</summary>
public static class ModelCommand
{
    public const string Name = "model";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        ModelOptions options;
        try
        {
            options = ModelOptions.Parse(args, TestPostgres.ConnectionString);
        }
        catch (ArgumentException problem)
        {
            await Console.Error.WriteLineAsync($"{problem.Message}\nusage: {ModelOptions.Usage}");
            return 2;
        }
        var gate = new object();
        var result = await ModelChaosRun.RunAsync(options, line =>
        {
            lock (gate) Console.WriteLine(line);
        });
        Console.WriteLine();
        Console.Write(result.Report);
        return result.Violations.Count == 0 ? 0 : 1;
    }
}
