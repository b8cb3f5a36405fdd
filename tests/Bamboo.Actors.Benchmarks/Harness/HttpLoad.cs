using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using HdrHistogram;

namespace Bamboo.Actors.Benchmarks.Harness;

/// <summary>One window of an HTTP closed loop: operations (one or more requests each), requests and their latencies.</summary>
/// <param name="Operations">Operations completed in the window (a reservation; or a whole worker cycle of five requests).</param>
/// <param name="Requests">HTTP requests answered in the window.</param>
/// <param name="Refused">Requests answered with another status than the one expected (e.g. 409 queue_full).</param>
/// <param name="Elapsed">Length of the window.</param>
/// <param name="Latency">Round trip of every request answered in the window, in microseconds.</param>
/// <param name="ServerCpu">CPU time of the server process over the window.</param>
/// <param name="MachineCpuPercent">CPU of the whole machine over the window, as a percentage of all cores.</param>
public sealed record HttpWindow(long Operations, long Requests, long Refused, TimeSpan Elapsed, HistogramBase Latency, TimeSpan ServerCpu,
    double MachineCpuPercent)
{
    /// <summary>Operations per second.</summary>
    public double PerSecond => Operations / Elapsed.TotalSeconds;

    /// <summary>Requests per second.</summary>
    public double RequestsPerSecond => Requests / Elapsed.TotalSeconds;

    /// <summary>Server CPU time per request, in microseconds.</summary>
    public double ServerCpuMicrosPerRequest => Requests == 0 ? double.NaN : ServerCpu.TotalMicroseconds / Requests;

    /// <summary>A latency percentile in milliseconds.</summary>
    public double Milliseconds(double percentile) => Latency.TotalCount == 0 ? double.NaN : Latency.GetValueAtPercentile(percentile) / 1000.0;

    /// <summary>The largest latency in milliseconds.</summary>
    public double MaxMilliseconds => Latency.TotalCount == 0 ? double.NaN : Latency.GetMaxValue() / 1000.0;

    /// <summary>Several windows as one: their operations over their total time, their latencies merged.</summary>
    public static HttpWindow Merge(IReadOnlyList<HttpWindow> windows)
    {
        var latency = new LongHistogram(1, HttpLoad.HighestMicros, 3);
        foreach (var window in windows) latency.Add(window.Latency);
        var elapsed = TimeSpan.FromTicks(windows.Sum(w => w.Elapsed.Ticks));
        var machine = windows.Where(w => !double.IsNaN(w.MachineCpuPercent)).Select(w => w.MachineCpuPercent * w.Elapsed.TotalSeconds).DefaultIfEmpty(double.NaN).Sum()
                      / elapsed.TotalSeconds;
        return new HttpWindow(windows.Sum(w => w.Operations), windows.Sum(w => w.Requests), windows.Sum(w => w.Refused), elapsed, latency,
            TimeSpan.FromTicks(windows.Sum(w => w.ServerCpu.Ticks)), machine);
    }
}

/// <summary>
/// Closed-loop HTTP load: <c>clients</c> concurrent loops on one <see cref="HttpClient"/> with as many connections, each
/// starting its next operation when the previous one is answered. Every request's round trip is recorded into the
/// current window's histogram; windows are cut at fixed times.
/// </summary>
public sealed class HttpLoad : IDisposable
{
    /// <summary>Largest latency recorded (60 s), in microseconds.</summary>
    public const long HighestMicros = 60_000_000;

    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private readonly Func<TimeSpan> _serverCpu;
    private LongConcurrentHistogram _latency = new(1, HighestMicros, 3);
    private long _operations, _requests, _refused, _errors;
    private string? _firstError, _firstRefusal;

    /// <summary>A client of <paramref name="server"/> with <paramref name="connections"/> connections.</summary>
    public HttpLoad(Uri server, int connections, Func<TimeSpan> serverCpu)
    {
        _serverCpu = serverCpu;
        Http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        })
        {
            BaseAddress = server,
            Timeout = TimeSpan.FromSeconds(30),
            DefaultRequestVersion = HttpVersion.Version11,
        };
    }

    /// <summary>The client the operations use.</summary>
    public HttpClient Http { get; }

    /// <summary>Requests that threw (a timeout, a reset connection) since the load was created.</summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>The first of those, as "type: message".</summary>
    public string? FirstError => _firstError;

    /// <summary>The first refused request, as "METHOD path → status body".</summary>
    public string? FirstRefusal => _firstRefusal;

    /// <summary>Sends a POST with a JSON body; records its latency; returns its status and body (the body only when
    /// <paramref name="readBody"/>).</summary>
    public async Task<(HttpStatusCode Status, byte[]? Body)> PostAsync(string path, byte[] json, HttpStatusCode expected, bool readBody = false)
    {
        using var content = new ByteArrayContent(json);
        content.Headers.ContentType = Json;
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        return await SendAsync(request, expected, readBody).ConfigureAwait(false);
    }

    /// <summary>Sends a GET; records its latency.</summary>
    public async Task<HttpStatusCode> GetAsync(string path, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        return (await SendAsync(request, expected, readBody: false).ConfigureAwait(false)).Status;
    }

    private async Task<(HttpStatusCode Status, byte[]? Body)> SendAsync(HttpRequestMessage request, HttpStatusCode expected, bool readBody)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseContentRead).ConfigureAwait(false);
        var body = readBody || response.StatusCode != expected ? await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false) : null;
        var micros = (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        Volatile.Read(ref _latency).RecordValue(Math.Clamp(micros, 1, HighestMicros));
        Interlocked.Increment(ref _requests);
        if (response.StatusCode != expected)
        {
            if (Interlocked.Increment(ref _refused) == 1)
                _firstRefusal = $"{request.Method} {request.RequestUri} → {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(body ?? [])}";
        }
        return (response.StatusCode, body);
    }

    /// <summary>
    /// Runs <paramref name="operation"/> in <paramref name="clients"/> closed loops: an untimed <paramref name="warmup"/>, then
    /// <paramref name="windows"/> consecutive windows. The operation gets its client's number and that client's operation
    /// count, and returns whether it completed as expected (refusals are counted by the requests themselves).
    /// </summary>
    public async Task<IReadOnlyList<HttpWindow>> RunAsync(int clients, TimeSpan warmup, IReadOnlyList<TimeSpan> windows,
        Func<int, long, Task> operation)
    {
        using var stop = new CancellationTokenSource();
        var loops = Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            for (long n = 0; !stop.IsCancellationRequested; n++)
            {
                try
                {
                    await operation(client, n).ConfigureAwait(false);
                    Interlocked.Increment(ref _operations);
                }
                catch (Exception exception)
                {
                    // Counted, and the client goes on: one lost answer must not void the measurement.
                    if (Interlocked.Increment(ref _errors) == 1) _firstError = Report.Describe(exception);
                }
            }
        })).ToArray();

        try
        {
            if (warmup > TimeSpan.Zero) await Task.Delay(warmup).ConfigureAwait(false);
            var results = new List<HttpWindow>();
            var from = Sample();
            foreach (var length in windows)
            {
                await Task.Delay(length).ConfigureAwait(false);
                var to = Sample();
                results.Add(to.Since(from));
                from = to;
            }
            return results;
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(loops).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Windows cut by hand, for loads that do not run through <see cref="RunAsync"/> (an open loop): each call of the
    /// returned function ends the window that began at the previous call (the first at this one).
    /// </summary>
    public Func<HttpWindow> Windows()
    {
        var from = Sample();
        return () =>
        {
            var to = Sample();
            var window = to.Since(from);
            from = to;
            return window;
        };
    }

    /// <summary>Counts an operation completed outside <see cref="RunAsync"/>.</summary>
    public void Completed() => Interlocked.Increment(ref _operations);

    /// <summary>Counts an operation that threw outside <see cref="RunAsync"/>.</summary>
    public void Failed(Exception exception)
    {
        if (Interlocked.Increment(ref _errors) == 1) _firstError = Report.Describe(exception);
    }

    /// <summary>Requests answered with another status than the one expected, since the load was created.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    private Snapshot Sample() => new(Interlocked.Read(ref _operations), Interlocked.Read(ref _requests), Interlocked.Read(ref _refused),
        Stopwatch.GetTimestamp(), Interlocked.Exchange(ref _latency, new LongConcurrentHistogram(1, HighestMicros, 3)), _serverCpu(),
        MachineCpu.Read());

    private sealed record Snapshot(long Operations, long Requests, long Refused, long Timestamp, LongConcurrentHistogram Before,
        TimeSpan ServerCpu, (long Busy, long Total)? Machine)
    {
        // Before is the histogram that was current until this sample: the window that ends here.
        public HttpWindow Since(Snapshot start)
        {
            var machine = (Machine, start.Machine) is ({ } to, { } from) && to.Total > from.Total
                ? 100.0 * (to.Busy - from.Busy) / (to.Total - from.Total)
                : double.NaN;
            return new HttpWindow(Operations - start.Operations, Requests - start.Requests, Refused - start.Refused,
                Stopwatch.GetElapsedTime(start.Timestamp, Timestamp), Before, ServerCpu - start.ServerCpu, machine);
        }
    }

    /// <inheritdoc />
    public void Dispose() => Http.Dispose();
}
