using Bamboo.Actors.Chaos.Processes;

namespace Bamboo.Actors.Chaos;

/// <summary>
/// The chaos harnesses as commands (<c>dotnet run --project tests/Bamboo.Actors.Chaos -- &lt;command&gt; ...</c>); their
/// short runs are xunit specs of this project, run by <c>dotnet test</c>.
/// </summary>
public static class Program
{
    private static readonly IReadOnlyDictionary<string, (string Usage, Func<IReadOnlyList<string>, Task<int>> Run)> Commands =
        new Dictionary<string, (string, Func<IReadOnlyList<string>, Task<int>>)>(StringComparer.Ordinal)
        {
            [ProcessesCommand.Name] = (ProcessesOptions.Usage, ProcessesCommand.RunAsync),
            [Model.ModelCommand.Name] = (Model.ModelOptions.Usage, Model.ModelCommand.RunAsync),
        };

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || !Commands.TryGetValue(args[0], out var command))
        {
            await Console.Error.WriteLineAsync("usage: dotnet run --project tests/Bamboo.Actors.Chaos -- <command> [options]");
            foreach (var usage in Commands.Values.Select(entry => entry.Usage)) await Console.Error.WriteLineAsync($"  {usage}");
            return 2;
        }
        return await command.Run(args[1..]);
    }
}
