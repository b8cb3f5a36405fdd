using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Processes;

/// <summary>
/// One node of the cluster: a server process (<c>dotnet Bamboo.Actors.Server.dll</c>) that is killed and started again
/// on the same ports with the same arguments. Its output goes to one log file per start, each line stamped on the run's
/// timeline; an exit nobody asked for is reported.
/// </summary>
public sealed class ServerNode : IAsyncDisposable
{
    private const int TailLines = 300;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(25);

    private readonly IReadOnlyList<string> _arguments;
    private readonly RunClock _clock;
    private readonly string _logFolder;
    private readonly Action<NodeExit> _unexpectedExit;
    private readonly ConcurrentQueue<string> _tail = new();
    private readonly List<HttpClient> _retiredClients = [];
    private readonly object _gate = new();
    private Process? _process;
    private StreamWriter? _log;
    private HttpClient? _http;
    private bool _expectingExit;
    private bool _disposed;
    private volatile bool _up;

    public ServerNode(NodeEndpoint endpoint, IReadOnlyList<string> arguments, RunClock clock, string logFolder, Action<NodeExit> unexpectedExit)
    {
        Endpoint = endpoint;
        _arguments = arguments;
        _clock = clock;
        _logFolder = logFolder;
        _unexpectedExit = unexpectedExit;
    }

    public NodeEndpoint Endpoint { get; }

    public int Index => Endpoint.Index;

    /// <summary>How many times the process was started.</summary>
    public int Incarnation { get; private set; }

    /// <summary>Started, healthy and ready (<see cref="MarkUp"/>), and not being killed: the workload may send it requests.</summary>
    public bool IsUp => _up;

    public bool HasExited
    {
        get
        {
            lock (_gate) return _disposed || _process is null || _process.HasExited;
        }
    }

    /// <summary>Starts a new process (the previous one must have exited).</summary>
    public void Launch()
    {
        lock (_gate)
        {
            if (_process is { HasExited: false }) throw new InvalidOperationException($"node{Index} is still running");
            _process?.Dispose();
            CloseLog();
            Incarnation++;
            _expectingExit = false;
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = Path.GetDirectoryName(ServerDll.Path)!,
            };
            start.ArgumentList.Add(ServerDll.Path);
            foreach (var argument in _arguments) start.ArgumentList.Add(argument);
            _log = new StreamWriter(Path.Combine(_logFolder, $"node{Index}.{Incarnation}.log"), append: false, Encoding.UTF8) { AutoFlush = true };
            _log.WriteLine($"[{RunClock.Format(_clock.Now)}] dotnet {string.Join(' ', start.ArgumentList)}");
            var process = new Process { StartInfo = start, EnableRaisingEvents = true };
            var incarnation = Incarnation;
            var log = _log;
            process.OutputDataReceived += (_, line) => Keep(log, line.Data);
            process.ErrorDataReceived += (_, line) => Keep(log, line.Data);
            process.Exited += (_, _) => Exited(process, incarnation);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _process = process;
            if (_http is not null) _retiredClients.Add(_http);
            _http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5), PooledConnectionLifetime = TimeSpan.FromSeconds(30) })
            {
                BaseAddress = Endpoint.Url,
                Timeout = RequestTimeout,
            };
        }
    }

    /// <summary>Waits until the process answers <c>/healthz</c>; false if it exited or did not answer within <paramref name="bound"/>.</summary>
    public Task<bool> WaitHealthyAsync(TimeSpan bound) => PollAsync("/healthz", bound, acceptNotFound: false);

    /// <summary>
    /// Waits until the process answers <c>/readyz</c> with 200 (a member of the cluster, its journal answering); true at
    /// once when the server has no <c>/readyz</c> (404). False if it exited or was not ready within <paramref name="bound"/>.
    /// </summary>
    public Task<bool> WaitReadyAsync(TimeSpan bound) => PollAsync("/readyz", bound, acceptNotFound: true);

    /// <summary>From now on the workload may send this node requests (until it is killed).</summary>
    public void MarkUp()
    {
        lock (_gate)
        {
            if (!_expectingExit && _process is { HasExited: false }) _up = true;
        }
    }

    private async Task<bool> PollAsync(string path, TimeSpan bound, bool acceptNotFound)
    {
        var http = Http();
        var until = _clock.Now + bound;
        while (_clock.Now < until)
        {
            if (HasExited) return false;
            try
            {
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                using var response = await http.GetAsync(path, attempt.Token);
                if (response.IsSuccessStatusCode || (acceptNotFound && response.StatusCode == System.Net.HttpStatusCode.NotFound)) return true;
            }
            catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException)
            {
                // Not listening yet.
            }
            await Task.Delay(100);
        }
        return false;
    }

    /// <summary>SIGKILL, then waits for the exit.</summary>
    public async Task KillAsync()
    {
        var process = ExpectExit();
        if (process is null) return;
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        await process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, then waits up to <paramref name="bound"/> for the exit; kills it after that. True if it exited by itself.</summary>
    public async Task<bool> TerminateAsync(TimeSpan bound)
    {
        var process = ExpectExit();
        if (process is null) return true;
        using (var signal = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", process.Id.ToString() }, UseShellExecute = false }))
            await signal!.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(bound);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
            return false;
        }
    }

    /// <summary>Sends <paramref name="request"/> to this node and records it with its answer (status 0 when none came).</summary>
    public async Task<HistoryEntry> SendAsync(ChaosRequest request, RequestHistory history)
    {
        var http = Http();
        var start = history.Clock.Now;
        try
        {
            using var message = new HttpRequestMessage(request.Method, request.Path);
            if (request.Body is { } body) message.Content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await http.SendAsync(message);
            var text = await response.Content.ReadAsStringAsync();
            return history.Record(request, Index, start, (int)response.StatusCode, text);
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            return history.Record(request, Index, start, 0, $"{exception.GetType().Name}: {exception.Message}");
        }
    }

    /// <summary>The process's last lines of output.</summary>
    public string OutputTail() => string.Join('\n', _tail);

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _process?.Dispose();
            CloseLog();
            _http?.Dispose();
            foreach (var client in _retiredClients) client.Dispose();
        }
    }

    private HttpClient Http()
    {
        lock (_gate) return _http ?? throw new InvalidOperationException($"node{Index} was never started");
    }

    private Process? ExpectExit()
    {
        lock (_gate)
        {
            _up = false;
            _expectingExit = true;
            return !_disposed && _process is { HasExited: false } process ? process : null;
        }
    }

    /// <summary>Closes the current start's log (its process's last lines may still be arriving: see <see cref="Keep"/>).</summary>
    private void CloseLog()
    {
        if (_log is not { } log) return;
        lock (log) log.Dispose();
    }

    private void Keep(StreamWriter log, string? line)
    {
        if (line is null) return;
        var stamped = $"[{RunClock.Format(_clock.Now)}] {line}";
        _tail.Enqueue(stamped);
        while (_tail.Count > TailLines) _tail.TryDequeue(out _);
        lock (log)
        {
            try
            {
                log.WriteLine(stamped);
            }
            catch (ObjectDisposedException)
            {
                // The output of a process that is gone, read after its log was closed.
            }
        }
    }

    private void Exited(Process process, int incarnation)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(process, _process) || _expectingExit) return;
            _up = false;
        }
        var at = _clock.Now;
        // The exit is raised before the output handlers have read the last lines from the pipe (seen in CI: a downed
        // node's tail lacked its last line, which says why it left); WaitForExit() returns once they have.
        process.WaitForExit();
        _unexpectedExit(new NodeExit(Index, incarnation, at, process.ExitCode, OutputTail()));
    }
}
