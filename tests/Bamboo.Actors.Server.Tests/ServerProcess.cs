using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Bamboo.Actors.Server.Tests;

/// <summary>The server as its own OS process (<c>dotnet Bamboo.Actors.Server.dll</c>), for crash and restart tests.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private const int TailLines = 200;

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _tail;

    private ServerProcess(Process process, RunningServerClient client, ConcurrentQueue<string> tail)
    {
        _process = process;
        _tail = tail;
        Client = client;
    }

    public RunningServerClient Client { get; }

    public int Id => _process.Id;

    /// <summary>Starts a server on <paramref name="port"/> (a free one when null) and waits until /healthz answers.</summary>
    public static async Task<ServerProcess> StartAsync(IEnumerable<string> settings, int? port = null)
    {
        var url = $"http://127.0.0.1:{port ?? FreePort()}";
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ServerDll());
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(url);
        start.ArgumentList.Add("--Logging:LogLevel:Default=Warning");
        foreach (var setting in settings) start.ArgumentList.Add(setting);
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the server");
        // Drain the output so the child never blocks on a full pipe; keep its last lines for diagnostics.
        var tail = new ConcurrentQueue<string>();
        DataReceivedEventHandler keep = (sender, line) =>
        {
            if (line.Data is null) return;
            tail.Enqueue(line.Data);
            while (tail.Count > TailLines) tail.TryDequeue(out _);
        };
        process.OutputDataReceived += keep;
        process.ErrorDataReceived += keep;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var client = new RunningServerClient(new Uri(url));
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (true)
            {
                if (process.HasExited)
                    throw new InvalidOperationException($"the server exited with code {process.ExitCode}:{Environment.NewLine}{string.Join(Environment.NewLine, tail)}");
                try
                {
                    if ((await client.Http.GetAsync("/healthz", timeout.Token)).IsSuccessStatusCode) break;
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }
                await Task.Delay(100, timeout.Token);
            }
        }
        catch
        {
            // A server that did not come up is not left running.
            client.Http.Dispose();
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
        return new ServerProcess(process, client, tail);
    }

    /// <summary>The base address of the server's HTTP endpoint.</summary>
    public Uri Url => Client.Http.BaseAddress!;

    /// <summary>The last lines the server wrote (standard output and error).</summary>
    public string OutputTail() => string.Join(Environment.NewLine, _tail);

    /// <summary>SIGKILL: the process gets no chance to clean up.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Http.Dispose();
        if (!_process.HasExited) await KillAsync();
        _process.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The server built by the same build as these tests (same configuration).</summary>
    private static string ServerDll()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "Bamboo.Actors.Server", "bin", configuration, "net10.0", "Bamboo.Actors.Server.dll");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException("Bamboo.Actors.Server.dll not found; build the solution first");
    }
}
