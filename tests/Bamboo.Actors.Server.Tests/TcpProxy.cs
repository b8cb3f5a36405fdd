using System.Net;
using System.Net.Sockets;

namespace Bamboo.Actors.Server.Tests;

/// <summary>
/// A TCP forwarder on a loopback port of its own, to a backend (a database) that the test can take away and bring back:
/// <see cref="Close"/> stops listening and cuts every open connection, as an outage would; <see cref="Open"/> listens again
/// on the same port.
/// </summary>
public sealed class TcpProxy : IDisposable
{
    private readonly IPEndPoint _backend;
    private readonly List<TcpClient> _connections = [];
    private readonly Lock _lock = new();
    private TcpListener? _listener;

    public TcpProxy(IPEndPoint backend)
    {
        _backend = backend;
        Port = ServerProcess.FreePort();
    }

    /// <summary>The port clients connect to; nothing listens on it until <see cref="Open"/>.</summary>
    public int Port { get; }

    public void Open()
    {
        var listener = new TcpListener(IPAddress.Loopback, Port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        lock (_lock) _listener = listener;
        _ = AcceptAsync(listener);
    }

    public void Close()
    {
        TcpClient[] connections;
        lock (_lock)
        {
            _listener?.Stop();
            _listener = null;
            connections = [.. _connections];
            _connections.Clear();
        }
        foreach (var connection in connections) connection.Dispose();
    }

    public void Dispose() => Close();

    private async Task AcceptAsync(TcpListener listener)
    {
        while (true)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync();
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;    // closed
            }
            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        var backend = new TcpClient();
        lock (_lock)
        {
            _connections.Add(client);
            _connections.Add(backend);
        }
        try
        {
            await backend.ConnectAsync(_backend);
            var up = client.GetStream().CopyToAsync(backend.GetStream());
            var down = backend.GetStream().CopyToAsync(client.GetStream());
            await Task.WhenAny(up, down);
        }
        catch (Exception exception) when (exception is SocketException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The outage (or either side) ended the connection.
        }
        finally
        {
            client.Dispose();
            backend.Dispose();
            lock (_lock)
            {
                _connections.Remove(client);
                _connections.Remove(backend);
            }
        }
    }
}
