namespace Bamboo.Actors.Chaos.Processes;

/// <summary>Which nodes each node lists as its seeds.</summary>
public enum SeedRecipe
{
    /// <summary>Every node lists all the nodes, node 1 first.</summary>
    AllNodes,

    /// <summary>Every node lists node 1 only (the README's first recipe): a restarted node 1 forms a cluster of its own.</summary>
    FirstNode,
}
