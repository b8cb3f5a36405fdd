using System.Collections.Concurrent;
using System.Diagnostics;
using Bamboo.Actors.TestSupport;

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
        _process.OutputDataReceived += (_, line) => KeepErrors(line.Data);
        _process.ErrorDataReceived += (_, line) => KeepErrors(line.Data);
    }

    /// <summary>The server's error log entries (<c>fail:</c> lines and the line after each), the first 100.</summary>
    public IReadOnlyCollection<string> Errors => _errors;

    private readonly ConcurrentQueue<string> _errors = new();
    private volatile bool _afterError;

    private void KeepErrors(string? line)
    {
        if (line is null) return;
        if (line.StartsWith("fail:", StringComparison.Ordinal) || _afterError)
        {
            if (_errors.Count < 100) _errors.Enqueue(line);
            _afterError = !_afterError;
        }
    }

    public RunningServerClient Client { get; }

    public int Id => _process.Id;

    /// <summary>
    /// Starts a server on <paramref name="port"/> (a free one when null) and waits until /healthz answers.
    /// <paramref name="environment"/> adds environment variables (e.g. <c>Kestrel__Endpoints__Http__Url</c>).
    /// </summary>
    public static async Task<ServerProcess> StartAsync(IEnumerable<string> settings, int? port = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        // Without a port of its own the server binds port 0 and says which port it got: a port found free here and bound
        // there later could be taken meanwhile by another test's process (every test project runs at once).
        var (process, tail, listening) = Launch($"http://127.0.0.1:{port ?? 0}", settings, environment);
        RunningServerClient? client = null;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var url = port is { } fixedPort ? new Uri($"http://127.0.0.1:{fixedPort}") : await listening.Task.WaitAsync(timeout.Token);
            client = new RunningServerClient(url);
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
        catch (Exception exception)
        {
            // A server that did not come up is not left running.
            client?.Http.Dispose();
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.Dispose();
            if (exception is OperationCanceledException && client is null)
                throw new TimeoutException($"the server never said where it listens:{Environment.NewLine}{string.Join(Environment.NewLine, tail)}");
            throw;
        }
        return new ServerProcess(process, client!, tail);
    }

    /// <summary>
    /// Starts a server that is expected to refuse to run, and waits (bounded) for it to exit; returns its exit code and
    /// output. A server still running after <paramref name="bound"/> is killed and reported as a failure.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> RunToExitAsync(IEnumerable<string> settings,
        IReadOnlyDictionary<string, string>? environment, TimeSpan bound)
    {
        var (process, tail, _) = Launch($"http://127.0.0.1:{TestPorts.Next()}", settings, environment);
        using (process)
        {
            using var timeout = new CancellationTokenSource(bound);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                throw new TimeoutException($"the server still ran after {bound.TotalSeconds:F0} s:{Environment.NewLine}{string.Join(Environment.NewLine, tail)}");
            }
            // The exit code is known once the process is gone; its last output lines may still be on their way.
            process.WaitForExit();
            return (process.ExitCode, string.Join(Environment.NewLine, tail));
        }
    }

    private static (Process Process, ConcurrentQueue<string> Tail, TaskCompletionSource<Uri> Listening) Launch(string url,
        IEnumerable<string> settings, IReadOnlyDictionary<string, string>? environment)
    {
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
        // "Now listening on: http://127.0.0.1:<port>": where a server started on port 0 listens.
        start.ArgumentList.Add("--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information");
        foreach (var setting in settings) start.ArgumentList.Add(setting);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the server");
        // Drain the output so the child never blocks on a full pipe; keep its last lines for diagnostics.
        var tail = new ConcurrentQueue<string>();
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        DataReceivedEventHandler keep = (sender, line) =>
        {
            if (line.Data is null) return;
            if (ListeningAt(line.Data) is { } at) listening.TrySetResult(at);
            tail.Enqueue(line.Data);
            while (tail.Count > TailLines) tail.TryDequeue(out _);
        };
        process.OutputDataReceived += keep;
        process.ErrorDataReceived += keep;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, tail, listening);
    }

    private static Uri? ListeningAt(string line)
    {
        const string marker = "Now listening on: ";
        var at = line.IndexOf(marker, StringComparison.Ordinal);
        return at < 0 ? null : new Uri(line[(at + marker.Length)..].Trim());
    }

    /// <summary>Whether the process is still running.</summary>
    public bool IsRunning => !_process.HasExited;

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
