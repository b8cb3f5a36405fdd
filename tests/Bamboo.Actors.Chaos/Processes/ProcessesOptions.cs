using System.Globalization;

namespace Bamboo.Actors.Chaos.Processes;

/// <summary>What one run of the multi-process harness does: how long, which recipe, how much load, which seed.</summary>
public sealed record ProcessesOptions
{
    public const string Usage =
        "processes [--minutes N | --restarts N] [--seed N] [--recipe all-seeds|first-seed] [--sessions N] [--clients N] [--keep-database]\n" +
        "  PostgreSQL from --connection \"Host=…\" or BAMBOO_TEST_POSTGRES; a fresh database is created (and dropped) per run.";

    /// <summary>The PostgreSQL server's connection string; each run creates its own database next to this one's.</summary>
    public required string ConnectionString { get; init; }

    public int Seed { get; init; } = Environment.TickCount & 0xFFFF;

    /// <summary>Long runs: faults and load for this long. Null when <see cref="Restarts"/> bounds the run.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Short runs: this many node restarts, then <see cref="Tail"/> of load. Null when <see cref="Duration"/> bounds it.</summary>
    public int? Restarts { get; init; }

    /// <summary>Load after the last restart served again (short runs).</summary>
    public TimeSpan Tail { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Short runs: faults stop after this long even if fewer than <see cref="Restarts"/> happened (a broken
    /// cluster makes every restart wait out its bounds).</summary>
    public TimeSpan FaultBudget { get; init; } = TimeSpan.FromMinutes(4);

    public SeedRecipe Recipe { get; init; } = SeedRecipe.AllNodes;

    public int Sessions { get; init; } = 32;

    /// <summary>Concurrent workload clients (each a loop of workers, managed runs, cancels and reads).</summary>
    public int Clients { get; init; } = 8;

    /// <summary>Keep the run's database (it is dropped otherwise).</summary>
    public bool KeepDatabase { get; init; }

    /// <summary>Keep the servers' logs and the request history even when there is no violation.</summary>
    public bool KeepLogs { get; init; } = true;

    /// <summary>Parses the command's arguments (after <c>processes</c>).</summary>
    /// <exception cref="ArgumentException">An unknown or malformed argument.</exception>
    public static ProcessesOptions Parse(IReadOnlyList<string> args, string? connectionString)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var keepDatabase = false;
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--keep-database")
            {
                keepDatabase = true;
                continue;
            }
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
                throw new ArgumentException($"unexpected argument '{args[i]}'");
            values[args[i][2..]] = args[++i];
        }
        int Number(string name, int fallback) => values.Remove(name, out var text)
            ? int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0
                ? number
                : throw new ArgumentException($"--{name} needs a positive whole number, not '{text}'")
            : fallback;

        var restarts = values.ContainsKey("restarts") ? Number("restarts", 0) : (int?)null;
        var minutes = Number("minutes", restarts is null ? 10 : 0);
        var options = new ProcessesOptions
        {
            ConnectionString = (values.Remove("connection", out var connection) ? connection : connectionString)
                ?? throw new ArgumentException("no PostgreSQL: set BAMBOO_TEST_POSTGRES or pass --connection"),
            Seed = Number("seed", Environment.TickCount & 0xFFFF),
            Restarts = restarts,
            Duration = restarts is null ? TimeSpan.FromMinutes(minutes) : null,
            Sessions = Number("sessions", 32),
            Clients = Number("clients", 8),
            KeepDatabase = keepDatabase,
            Recipe = values.Remove("recipe", out var recipe)
                ? recipe switch
                {
                    "all-seeds" => SeedRecipe.AllNodes,
                    "first-seed" => SeedRecipe.FirstNode,
                    _ => throw new ArgumentException($"--recipe is all-seeds or first-seed, not '{recipe}'"),
                }
                : SeedRecipe.AllNodes,
        };
        if (values.Count > 0) throw new ArgumentException($"unknown option --{values.Keys.First()}");
        return options;
    }

    /// <summary>The command that runs this again (same seed, same shape).</summary>
    public string Reproduce() =>
        "dotnet run --project tests/Bamboo.Actors.Chaos -- processes " +
        (Restarts is { } restarts ? $"--restarts {restarts}" : $"--minutes {Duration!.Value.TotalMinutes:0.##}") +
        $" --seed {Seed} --recipe {(Recipe == SeedRecipe.AllNodes ? "all-seeds" : "first-seed")} --sessions {Sessions} --clients {Clients}";
}
