using Bamboo.Actors.Server;
using Bamboo.Actors.TestSupport;

namespace Bamboo.Actors.Chaos.Processes;

/// <summary>Where one node listens, kept across its restarts: HTTP and Akka remoting, both on loopback.</summary>
/// <param name="Index">1-based node number (node 1 is the first seed).</param>
public sealed record NodeEndpoint(int Index, int HttpPort, int AkkaPort)
{
    public Uri Url => new($"http://127.0.0.1:{HttpPort}");

    /// <summary>The node's Akka address, as a seed entry names it.</summary>
    public string AkkaAddress => $"akka.tcp://{BambooServer.ActorSystemName}@127.0.0.1:{AkkaPort}";

    /// <summary><paramref name="count"/> nodes on free loopback ports (<see cref="TestPorts"/>: none repeats).</summary>
    public static IReadOnlyList<NodeEndpoint> OnFreePorts(int count) =>
        Enumerable.Range(0, count).Select(i => new NodeEndpoint(i + 1, TestPorts.Next(), TestPorts.Next())).ToArray();
}
