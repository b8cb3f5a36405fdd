namespace Bamboo.Actors.Chaos.Processes;

/// <summary>
/// How the nodes are started: the one place that says what each node's command line is (seeds, failure detection,
/// store, logging), so the recipe under test changes here and nowhere else.
/// </summary>
public sealed class ClusterRecipe(SeedRecipe seeds, string connectionString)
{
    public SeedRecipe Seeds { get; } = seeds;

    /// <summary>The recipe's name and what it means, for reports.</summary>
    public static string Describe(SeedRecipe seeds) => seeds switch
    {
        SeedRecipe.AllNodes => "recipe all-seeds (every node lists all nodes as seeds)",
        _ => "recipe first-seed (every node lists node 1 as its only seed)",
    };

    /// <summary>The arguments of <paramref name="node"/>'s server process (after the dll); the same for every start of it.</summary>
    public IReadOnlyList<string> NodeArguments(NodeEndpoint node, IReadOnlyList<NodeEndpoint> allNodes)
    {
        var seeds = Seeds == SeedRecipe.AllNodes ? allNodes : allNodes.Take(1);
        return
        [
            "--urls", node.Url.ToString().TrimEnd('/'),
            "--Bamboo:Cluster:Hostname=127.0.0.1",
            $"--Bamboo:Cluster:Port={node.AkkaPort}",
            .. seeds.Select((seed, i) => $"--Bamboo:Cluster:Seeds:{i}={seed.AkkaAddress}"),
            // The README's measured failure detection for processes on one host (production keeps 20 s).
            "--Bamboo:Cluster:StableAfter=00:00:02",
            "--Bamboo:Cluster:AcceptableHeartbeatPause=00:00:03",
            "--Bamboo:Persistence:Mode=PostgreSql",
            $"--Bamboo:Persistence:ConnectionString={connectionString}",
            // Cluster and sharding decisions are logged at Information; request logs are not needed.
            "--Logging:LogLevel:Default=Information",
            "--Logging:LogLevel:Microsoft.AspNetCore=Warning",
            "--Logging:Console:FormatterOptions:SingleLine=true",
        ];
    }
}
