using System.Net;
using System.Net.Sockets;
using Bamboo.Actors.Server;

namespace Bamboo.Actors.Chaos.Processes;

/// <summary>Where one node listens, kept across its restarts: HTTP and Akka remoting, both on loopback.</summary>
/// <param name="Index">1-based node number (node 1 is the first seed).</param>
public sealed record NodeEndpoint(int Index, int HttpPort, int AkkaPort)
{
    public Uri Url => new($"http://127.0.0.1:{HttpPort}");

    /// <summary>The node's Akka address, as a seed entry names it.</summary>
    public string AkkaAddress => $"akka.tcp://{BambooServer.ActorSystemName}@127.0.0.1:{AkkaPort}";

    /// <summary><paramref name="count"/> nodes on free loopback ports (all held open until all are chosen, so none repeats).</summary>
    public static IReadOnlyList<NodeEndpoint> OnFreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count * 2).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (var listener in listeners) listener.Start();
            var ports = listeners.Select(listener => ((IPEndPoint)listener.LocalEndpoint).Port).ToArray();
            return Enumerable.Range(0, count).Select(i => new NodeEndpoint(i + 1, ports[2 * i], ports[2 * i + 1])).ToArray();
        }
        finally
        {
            foreach (var listener in listeners) listener.Stop();
        }
    }
}
