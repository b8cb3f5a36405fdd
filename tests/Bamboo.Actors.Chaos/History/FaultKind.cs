namespace Bamboo.Actors.Chaos.History;

/// <summary>How a node went down.</summary>
public enum FaultKind
{
    /// <summary>SIGKILL: no chance to clean up (a crash, an OOM kill).</summary>
    Kill,

    /// <summary>SIGTERM: a graceful stop (a deploy, a node drain).</summary>
    Terminate,

    /// <summary>Nobody killed it: the process exited by itself (always a violation), and was started again.</summary>
    Exit,
}
