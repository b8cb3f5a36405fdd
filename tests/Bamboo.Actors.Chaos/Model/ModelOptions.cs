using System.Globalization;
using Bamboo.Actors.Chaos.Model.Nodes;
using Bamboo.Actors.Chaos.Model.Records;

namespace Bamboo.Actors.Chaos.Model;

/// <summary>What one model run does: which nodes and store, how much load, for how long, from which seed.</summary>
public sealed record ModelOptions
{
    public const string Usage =
        "model [--minutes N | --operations N [--faults N]] [--seed N] [--topology cluster|single|memory] [--store sqlite|postgres] [--sessions N] [--clients N] [--fault-kinds crash,leave,join,outage] [--outage-seconds N] [--max-deadline-seconds N] [--fault-pause-seconds MIN,MAX] [--keep-logs]\n" +
        "  cluster: three nodes in this process (a fourth joins at times); single: one local node, durable; memory: one local node, in memory.\n" +
        "  Store: PostgreSQL when BAMBOO_TEST_POSTGRES is set (a fresh database per run, dropped after), SQLite otherwise.";

    // The property defaults, for the parser's fallbacks and the reproduce line's omissions.
    private static readonly ModelOptions Defaults = new();

    public int Seed { get; init; } = Environment.TickCount & 0xFFFF;

    public Topology Topology { get; init; } = Topology.Cluster;

    /// <summary>The PostgreSQL server (a fresh database is created next to this one's); null: a SQLite file.</summary>
    public string? Postgres { get; init; }

    public int Sessions { get; init; } = 32;

    /// <summary>Concurrent client loops.</summary>
    public int Clients { get; init; } = 10;

    /// <summary>Budget runs: load until at least this many operations (and the planned faults) are done.</summary>
    public int? Operations { get; init; }

    /// <summary>Long runs: load and faults for this long.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>A budget run stops after this long even if its budget is not spent (the report says so).</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Faults planned at the start that a budget run waits for (the plan has one of each kind).</summary>
    public int PlannedFaults { get; init; } = 6;

    /// <summary>The longest deadline a reservation asks for (deadlines are drawn from 2 s up to this).</summary>
    public TimeSpan MaxDeadline { get; init; } = TimeSpan.FromSeconds(12);

    /// <summary>Pause between one fault healing and the next fault.</summary>
    public (TimeSpan Min, TimeSpan Max) FaultPause { get; init; } = (TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(14));

    /// <summary>How long a store outage lasts (drawn between the two).</summary>
    public (TimeSpan Min, TimeSpan Max) OutageLength { get; init; } = (TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(6));

    /// <summary>Whether journal writes fail, are rejected or are delayed at random throughout the load.</summary>
    public bool JournalFaults { get; init; } = true;

    /// <summary>The only kinds of fault injected; null: every kind.</summary>
    public IReadOnlyList<ModelFaultKind>? FaultKinds { get; init; }

    /// <summary>Keep the node logs and the history even without a violation.</summary>
    public bool KeepLogs { get; init; }

    public static ModelOptions Parse(IReadOnlyList<string> args, string? postgres)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var keepLogs = false;
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--keep-logs")
            {
                keepLogs = true;
                continue;
            }
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
                throw new ArgumentException($"unexpected argument '{args[i]}'");
            values[args[i][2..]] = args[++i];
        }
        int? Number(string name) => values.Remove(name, out var text)
            ? int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0
                ? number
                : throw new ArgumentException($"--{name} needs a positive whole number, not '{text}'")
            : null;

        var operations = Number("operations");
        var minutes = Number("minutes");
        if (operations is not null && minutes is not null) throw new ArgumentException("--minutes and --operations exclude each other");
        var topology = values.Remove("topology", out var shape)
            ? shape switch
            {
                "cluster" => Topology.Cluster,
                "single" => Topology.Single,
                "memory" => Topology.Memory,
                _ => throw new ArgumentException($"--topology is cluster, single or memory, not '{shape}'"),
            }
            : Topology.Cluster;
        var store = values.Remove("store", out var named) ? named : postgres is null ? "sqlite" : "postgres";
        if (store is not ("sqlite" or "postgres")) throw new ArgumentException($"--store is sqlite or postgres, not '{store}'");
        if (store == "postgres" && postgres is null) throw new ArgumentException("--store postgres needs BAMBOO_TEST_POSTGRES");
        var kinds = values.Remove("fault-kinds", out var listed)
            ? listed.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(kind => kind switch
            {
                "crash" => ModelFaultKind.Crash,
                "leave" => ModelFaultKind.Leave,
                "join" => ModelFaultKind.Join,
                "outage" => ModelFaultKind.Outage,
                _ => throw new ArgumentException($"--fault-kinds lists crash, leave, join or outage, not '{kind}'"),
            }).Distinct().ToArray()
            : null;
        var pause = values.Remove("fault-pause-seconds", out var between)
            ? between.Split(',') is [var low, var high] && int.TryParse(low, NumberStyles.None, CultureInfo.InvariantCulture, out var min)
              && int.TryParse(high, NumberStyles.None, CultureInfo.InvariantCulture, out var max) && min <= max
                ? (TimeSpan.FromSeconds(min), TimeSpan.FromSeconds(max))
                : throw new ArgumentException($"--fault-pause-seconds needs MIN,MAX in whole seconds, not '{between}'")
            : Defaults.FaultPause;
        var options = new ModelOptions
        {
            MaxDeadline = Number("max-deadline-seconds") is { } deadline ? TimeSpan.FromSeconds(deadline) : Defaults.MaxDeadline,
            FaultPause = pause,
            FaultKinds = kinds is { Length: > 0 } ? kinds : null,
            OutageLength = Number("outage-seconds") is { } seconds ? (TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(seconds)) : Defaults.OutageLength,
            Seed = Number("seed") ?? Environment.TickCount & 0xFFFF,
            Topology = topology,
            Postgres = store == "postgres" ? postgres : null,
            Sessions = Number("sessions") ?? 32,
            Clients = Number("clients") ?? 10,
            Operations = operations,
            Duration = operations is null ? TimeSpan.FromMinutes(minutes ?? 10) : null,
            MaxDuration = operations is null ? TimeSpan.MaxValue : TimeSpan.FromMinutes(30),
            KeepLogs = keepLogs,
            PlannedFaults = Number("faults") ?? 6,
        };
        if (values.Count > 0) throw new ArgumentException($"unknown option --{values.Keys.First()}");
        return options;
    }

    public string StoreName => Topology == Topology.Memory ? "memory" : Postgres is null ? "sqlite" : "postgres";

    /// <summary>The command that runs this again (same seed, same shape).</summary>
    public string Reproduce() =>
        "dotnet run --project tests/Bamboo.Actors.Chaos -- model " +
        (Operations is { } operations ? $"--operations {operations} --faults {PlannedFaults}" : $"--minutes {Duration!.Value.TotalMinutes:0.##}") +
        $" --seed {Seed} --topology {Topology.ToString().ToLowerInvariant()} --store {(Postgres is null ? "sqlite" : "postgres")}" +
        $" --sessions {Sessions} --clients {Clients}" +
        (FaultKinds is { } kinds ? $" --fault-kinds {string.Join(',', kinds.Select(kind => kind.ToString().ToLowerInvariant()))}" : "") +
        (OutageLength.Min == OutageLength.Max ? $" --outage-seconds {OutageLength.Min.TotalSeconds:0}" : "") +
        (MaxDeadline != Defaults.MaxDeadline ? $" --max-deadline-seconds {MaxDeadline.TotalSeconds:0}" : "") +
        (FaultPause != Defaults.FaultPause ? $" --fault-pause-seconds {FaultPause.Min.TotalSeconds:0},{FaultPause.Max.TotalSeconds:0}" : "");
}
