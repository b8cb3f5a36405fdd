using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Bamboo.Actors.Benchmarks.Harness;

/// <summary>
/// The HTTP server as its own OS process (<c>dotnet Bamboo.Actors.Server.dll</c>, the build this harness was built with,
/// its own runtime settings), so a cold start is really cold and its CPU is counted apart from the load generator's.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private const int TailLines = 100;

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _tail;

    private ServerProcess(Process process, ConcurrentQueue<string> tail, Uri url, TimeSpan listening, TimeSpan ready)
    {
        _process = process;
        _tail = tail;
        Url = url;
        Listening = listening;
        Ready = ready;
    }

    /// <summary>The server's process id (its <c>/proc/{id}</c>).</summary>
    public int Id => _process.Id;

    /// <summary>The server's base address.</summary>
    public Uri Url { get; }

    /// <summary>From starting the process to the first answer of <c>/healthz</c>.</summary>
    public TimeSpan Listening { get; }

    /// <summary>From starting the process to the first <c>200</c> of <c>/readyz</c> (for a durable server: the journal answered).</summary>
    public TimeSpan Ready { get; }

    /// <summary>CPU time the server process has used so far (every thread, user and system).</summary>
    public TimeSpan Cpu
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>The last lines the server wrote.</summary>
    public string OutputTail() => string.Join(Environment.NewLine, _tail);

    /// <summary>Starts <paramref name="serverDll"/> on a free loopback port with <paramref name="settings"/> (and
    /// <paramref name="environment"/> added to its environment) and waits until <c>/readyz</c> answers 200.</summary>
    public static async Task<ServerProcess> StartAsync(string serverDll, IEnumerable<string> settings, IReadOnlyDictionary<string, string> environment,
        TimeSpan timeout)
    {
        var url = new Uri($"http://127.0.0.1:{FreePort()}");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // appsettings.json is read from the content root: the server's own folder, as for `dotnet run`.
            WorkingDirectory = Path.GetDirectoryName(serverDll)!,
        };
        start.ArgumentList.Add(serverDll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(url.ToString().TrimEnd('/'));
        foreach (var setting in settings) start.ArgumentList.Add(setting);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        var clock = Stopwatch.StartNew();
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the server");
        // Drain the output as fast as it comes (a console logger blocks on a full pipe); keep the last lines.
        var tail = new ConcurrentQueue<string>();
        DataReceivedEventHandler keep = (_, line) =>
        {
            if (line.Data is null) return;
            tail.Enqueue(line.Data);
            while (tail.Count > TailLines) tail.TryDequeue(out string? _);
        };
        process.OutputDataReceived += keep;
        process.ErrorDataReceived += keep;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(5) };
        TimeSpan? listening = null;
        try
        {
            using var cancel = new CancellationTokenSource(timeout);
            while (true)
            {
                if (process.HasExited)
                    throw new InvalidOperationException($"the server exited with code {process.ExitCode}:{Environment.NewLine}{string.Join(Environment.NewLine, tail)}");
                try
                {
                    if (listening is null && (await http.GetAsync("/healthz", cancel.Token)).IsSuccessStatusCode) listening = clock.Elapsed;
                    if (listening is not null && (await http.GetAsync("/readyz", cancel.Token)).StatusCode == HttpStatusCode.OK) break;
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }
                await Task.Delay(10, cancel.Token);
            }
        }
        catch
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
        return new ServerProcess(process, tail, url, listening.Value, clock.Elapsed);
    }

    /// <summary>The server built beside this harness (the benchmark project references the server project, whose
    /// output, runtime settings included, is copied here).</summary>
    public static string DefaultServerDll()
    {
        var candidate = Path.Combine(AppContext.BaseDirectory, "Bamboo.Actors.Server.dll");
        return File.Exists(candidate) ? candidate : throw new FileNotFoundException("Bamboo.Actors.Server.dll is not beside the harness", candidate);
    }

    /// <summary>A loopback port nobody listens on now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Kills the server (SIGKILL: nothing it does on the way down is measured) and waits for it to exit.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
