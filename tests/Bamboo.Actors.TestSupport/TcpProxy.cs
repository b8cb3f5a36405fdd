using System.Net;
using System.Net.Sockets;

namespace Bamboo.Actors.TestSupport;

/// <summary>
/// A loopback TCP proxy in front of a database, so a spec can take the database away from one server (as a stopped
/// database or a cut network would: open connections are reset, new ones refused) and give it back, without touching
/// the database that other specs share.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<TcpClient> _open = [];
    private readonly Task _accepting;
    private volatile bool _down;

    private TcpProxy(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>The proxy's own port on 127.0.0.1.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public static TcpProxy Start(string targetHost, int targetPort) => new(targetHost, targetPort);

    /// <summary>Resets every open connection and refuses new ones until <see cref="Restore"/>.</summary>
    public void Cut()
    {
        _down = true;
        lock (_open)
        {
            foreach (var client in _open) Reset(client);
            _open.Clear();
        }
    }

    /// <summary>Accepts connections again.</summary>
    public void Restore() => _down = false;

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            if (_down)
            {
                Reset(client);
                continue;
            }
            _ = PipeAsync(client);
        }
    }

    /// <summary>Closes a connection with a reset (RST), as a dead server's host would.</summary>
    private static void Reset(TcpClient client)
    {
        try
        {
            client.Client.LingerState = new LingerOption(true, 0);
        }
        catch (Exception exception) when (exception is ObjectDisposedException or SocketException)
        {
            // Already closed by its pipe.
        }
        client.Dispose();
    }

    private async Task PipeAsync(TcpClient client)
    {
        using var server = new TcpClient();
        try
        {
            await server.ConnectAsync(_targetHost, _targetPort, _stopping.Token);
            lock (_open)
            {
                _open.Add(client);
                _open.Add(server);
            }
            await using var clientStream = client.GetStream();
            await using var serverStream = server.GetStream();
            // Either direction ending ends both.
            await Task.WhenAny(clientStream.CopyToAsync(serverStream, _stopping.Token), serverStream.CopyToAsync(clientStream, _stopping.Token));
        }
        catch (Exception exception) when (exception is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A cut connection or the proxy stopping: the database client sees a reset.
        }
        finally
        {
            lock (_open)
            {
                _open.Remove(client);
                _open.Remove(server);
            }
            client.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        Cut();
        await _accepting;
    }
}
