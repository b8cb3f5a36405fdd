using System.Net;
using System.Net.Sockets;

namespace Bamboo.Actors.TestSupport;

/// <summary>
/// Ports for servers and cluster nodes that a spec must name before they bind (a cluster's seeds, a node restarted on
/// its address, a port nobody listens on). A port read from a listener bound to port 0 and released comes from the
/// kernel's ephemeral range (32768–60999 on Linux), which every outgoing connection of every process on the machine
/// draws from too: with every test project running at once, another process's client socket or listener could take it
/// before the server bound it. These come from below that range, from a random starting point per process, in turn,
/// each checked free when handed out.
/// </summary>
public static class TestPorts
{
    private const int First = 10_000;
    private const int Count = 22_000;

    private static int _next = Random.Shared.Next(Count);

    /// <summary>A loopback port that is free now and outside the ephemeral range.</summary>
    public static int Next()
    {
        for (var attempt = 0; attempt < 1_000; attempt++)
        {
            var port = First + (int)((uint)Interlocked.Increment(ref _next) % Count);
            if (IsFree(port)) return port;
        }
        throw new InvalidOperationException($"no free port among {Count} from {First}");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
