using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Bamboo.Actors.Benchmarks.Harness;

namespace Bamboo.Actors.Benchmarks.Scenarios;

/// <summary>
/// Scenario 10: the real server (<see cref="ServerProcess"/>, default store: SQLite) under half of its measured maximum
/// for a long time, with churning sessions: new sessions whose managed runs finish by themselves, external workers'
/// whole cycles on new sessions, and SSE clients that connect to a recent session, read its first event and drop.
/// The server's working set, threads and open file descriptors (from <c>/proc</c>), its live sessions and GC heap (from
/// <c>/metrics</c>) and the errors are sampled at fixed intervals; after the warm-up every resource must stay within
/// ±<see cref="Tolerance"/> of its median, with no error.
/// </summary>
public static class SoakScenario
{
    /// <summary>Allowed deviation of every sample after the warm-up from the median of those samples.</summary>
    public const double Tolerance = 0.10;

    /// <summary>Concurrent clients of the maximum's closed loop.</summary>
    public const int Clients = 32;

    /// <summary>Operations in flight at most during the soak; an operation due while this many are in flight is counted
    /// as behind (the server no longer keeps up with the offered rate).</summary>
    public const int MaxInFlight = 512;

    private static readonly byte[] EchoRun = """{"agent":"echo","input":"one two three"}"""u8.ToArray();
    private static readonly byte[] EmptyJson = "{}"u8.ToArray();
    private static readonly byte[] Delta = """{"type":"token_delta","text":"hello"}"""u8.ToArray();
    private static readonly byte[] Completed = """{"outcome":"completed"}"""u8.ToArray();

    private sealed record Sample(TimeSpan At, double OpsPerSecond, double P99Milliseconds, long Errors, long Behind, double WorkingSetMb,
        double GcHeapMb, double Threads, double OpenFds, double LiveSessions);

    /// <summary>Runs the soak: <c>--minutes N</c> (default 10; <c>--quick</c>: 1). Other arguments go to the server.</summary>
    public static async Task RunAsync(BenchOptions options, string[] rest)
    {
        var minutes = options.Quick ? 1.0 : 10.0;
        var extra = new List<string>();
        for (var i = 0; i < rest.Length; i++)
        {
            if (rest[i] == "--minutes" && i + 1 < rest.Length) minutes = double.Parse(rest[++i], CultureInfo.InvariantCulture);
            else if (rest[i].StartsWith("--minutes=", StringComparison.Ordinal)) minutes = double.Parse(rest[i]["--minutes=".Length..], CultureInfo.InvariantCulture);
            else extra.Add(rest[i]);
        }
        var duration = TimeSpan.FromMinutes(minutes);
        var interval = options.Quick ? TimeSpan.FromSeconds(10) : TimeSpan.FromSeconds(30);
        // Long enough for the runtime to settle and for the live sessions to reach their steady state (idle sessions
        // passivate after bamboo.runners.idle-timeout, 2 minutes by default).
        var warmup = options.Quick ? TimeSpan.FromSeconds(20) : TimeSpan.FromMinutes(3);
        Report.Heading($"Scenario 10 — soak: the server process at 50% of its measured maximum for {minutes:0.#} min, churning sessions", options);

        using var folder = new TempFolder();
        var settings = extra.Prepend($"--Bamboo:Persistence:DataFolder={Path.Combine(folder.Path, "sqlite")}").ToArray();
        Report.Progress("soak: starting the server (SQLite)");
        await using var server = await ServerProcess.StartAsync(ServerProcess.DefaultServerDll(), settings, new Dictionary<string, string>(),
            TimeSpan.FromSeconds(90));
        var tag = Guid.NewGuid().ToString("N")[..8];
        var churn = new Churn(tag);
        try
        {
            // The maximum: the same mix in a closed loop of Clients clients, median of its windows.
            double maximum;
            using (var load = new HttpLoad(server.Url, Clients, () => server.Cpu))
            {
                Report.Progress("soak: measuring the maximum of the mix");
                var windows = await load.RunAsync(Clients, options.Quick ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(15),
                    Enumerable.Repeat(options.Quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(5), 3).ToArray(),
                    (_, _) => churn.NextAsync(load));
                maximum = windows.Select(w => w.PerSecond).Order().ElementAt(windows.Count / 2);
                if (load.Errors > 0) Report.Failure($"soak: maximum: {load.Errors:N0} operation(s) threw (first: {load.FirstError})", comparison: false);
                Report.Progress($"  maximum {maximum:N0} operations/s");
            }
            var rate = maximum / 2;

            var samples = await SoakAsync(server, churn, rate, duration, interval, warmup, options);
            var table = new MarkdownTable("t (min)", "ops/s", "p99 ms", "errors", "behind", "working set MB", "GC heap MB", "threads",
                "open fds", "live sessions");
            foreach (var s in samples)
                table.Row(s.At.TotalMinutes.ToString("0.0", CultureInfo.InvariantCulture) + (s.At <= warmup ? " (warm-up)" : ""), s.OpsPerSecond,
                    s.P99Milliseconds, s.Errors, s.Behind, s.WorkingSetMb, s.GcHeapMb, s.Threads, s.OpenFds, s.LiveSessions);
            Report.Table(table);

            var steady = samples.Where(s => s.At > warmup).ToList();
            var verdict = new MarkdownTable("after warm-up", "median", "min", "max", "largest deviation", $"flat (±{Tolerance:P0})");
            var flat = true;
            foreach (var (name, value) in new (string, Func<Sample, double>)[]
                     {
                         ("working set MB", s => s.WorkingSetMb), ("GC heap MB", s => s.GcHeapMb), ("threads", s => s.Threads),
                         ("open fds", s => s.OpenFds), ("live sessions", s => s.LiveSessions),
                     })
            {
                if (steady.Count == 0) break;
                var values = steady.Select(value).ToArray();
                var median = values.Order().ElementAt(values.Length / 2);
                var deviation = values.Max(v => Math.Abs(v - median)) / median;
                var ok = deviation <= Tolerance;
                flat &= ok;
                verdict.Row(name, median, values.Min(), values.Max(), deviation.ToString("P1", CultureInfo.InvariantCulture), ok ? "yes" : "**no**");
            }
            var errors = samples.Sum(s => s.Errors);
            var behind = samples.Sum(s => s.Behind);
            Report.Table(verdict);
            Report.Note($"verdict: {(flat && steady.Count > 0 ? "flat" : "NOT flat")}; errors: {errors:N0}, operations behind: {behind:N0}" +
                        (churn.Load?.FirstError is { } first ? $" (first error: {first})" : "") +
                        (churn.Load?.FirstRefusal is { } refusal ? $" (first refusal: {refusal})" : "") + ".");
            if (!churn.Errors.IsEmpty)
                Report.Note("errors by kind (the maximum and the soak): " + string.Join("; ", churn.Errors.OrderByDescending(e => e.Value).Select(e => $"{e.Key} × {e.Value:N0}")) +
                            " (an SSE client gives up after 2 s without its first event).");
            Report.Note($"maximum of the mix: {maximum:N0} operations/s ({Clients} closed loops); soak: an open loop at {rate:N0} operations/s " +
                        $"for {minutes:0.#} min, at most {MaxInFlight} in flight (an operation due beyond that is counted as behind, not sent); " +
                        $"samples every {interval.TotalSeconds:0} s, the first {warmup.TotalMinutes:0.#} min are warm-up.");
            Report.Note("mix, in turn: 2 × POST /sessions/{new id}/runs {agent: echo} (202; the run finishes by itself in ~1 s), " +
                        "1 × a worker's cycle on a new session (POST reservations → POST events → POST finalize), 1 × GET /sessions/{a recent " +
                        "echo session}/events as SSE, read until its first event, then the connection dropped. Sessions passivate after the " +
                        "server's idle timeout (2 min by default).");
            Report.Note($"server: {Path.GetFileName(ServerProcess.DefaultServerDll())} as its own process, SQLite in an empty folder" +
                        $"{(extra.Count > 0 ? ", " + string.Join(' ', extra) : "")}. working set, threads: /proc/<pid>/status (VmRSS, Threads); " +
                        "open fds: entries of /proc/<pid>/fd; GC heap: the sum over generations of dotnet_gc_last_collection_heap_size_bytes " +
                        "(the heap after the last collection, of any generation); live sessions: bamboo_sessions_live, both from /metrics.");
            if (errors > 0 || behind > 0)
                Report.Failure($"soak: {errors:N0} error(s), {behind:N0} operation(s) behind", comparison: false);
            if (!options.Quick && !flat) Report.Progress("soak: resources are not flat after the warm-up (see the table)");
        }
        catch (Exception exception)
        {
            throw new InvalidOperationException($"{exception.Message}{Environment.NewLine}server output:{Environment.NewLine}{server.OutputTail()}", exception);
        }
    }

    private static async Task<List<Sample>> SoakAsync(ServerProcess server, Churn churn, double rate, TimeSpan duration, TimeSpan interval,
        TimeSpan warmup, BenchOptions options)
    {
        using var load = new HttpLoad(server.Url, MaxInFlight, () => server.Cpu);
        churn.Load = load;
        using var metrics = new HttpClient { BaseAddress = server.Url, Timeout = TimeSpan.FromSeconds(10) };
        var samples = new List<Sample>();
        var window = load.Windows();
        long behind = 0, behindBefore = 0, errorsBefore = 0;
        var inFlight = 0;
        var tasks = new List<Task>();
        Report.Progress($"soak: {rate:N0} operations/s for {duration.TotalMinutes:0.#} min, a sample every {interval.TotalSeconds:0} s " +
                        $"(warm-up {warmup.TotalMinutes:0.#} min)");
        var clock = Stopwatch.StartNew();
        var nextSample = interval;
        long started = 0;
        while (nextSample <= duration)
        {
            var due = (long)(Math.Min(clock.Elapsed.TotalSeconds, duration.TotalSeconds) * rate);
            for (; started < due; started++)
            {
                if (Volatile.Read(ref inFlight) >= MaxInFlight)
                {
                    behind++;
                    continue;
                }
                Interlocked.Increment(ref inFlight);
                tasks.Add(Task.Run(async () =>
                {
                    try
                    {
                        await churn.NextAsync(load).ConfigureAwait(false);
                        load.Completed();
                    }
                    catch (Exception exception)
                    {
                        load.Failed(exception);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref inFlight);
                    }
                }));
            }
            if (tasks.Count > 4096) tasks.RemoveAll(t => t.IsCompleted);
            if (clock.Elapsed >= nextSample)
            {
                var measured = window();
                var errors = load.Errors + load.Refused;
                var sample = await SampleAsync(server, metrics, clock.Elapsed, measured, errors - errorsBefore, behind - behindBefore).ConfigureAwait(false);
                (errorsBefore, behindBefore) = (errors, behind);
                samples.Add(sample);
                Report.Progress($"  {sample.At.TotalMinutes:0.0} min: {sample.OpsPerSecond:N0} ops/s, p99 {sample.P99Milliseconds:0.0} ms, " +
                                $"errors {sample.Errors}, behind {sample.Behind}, working set {sample.WorkingSetMb:0.0} MB, GC heap {sample.GcHeapMb:0.0} MB, " +
                                $"threads {sample.Threads}, fds {sample.OpenFds}, live sessions {sample.LiveSessions}");
                nextSample += interval;
            }
            await Task.Delay(5).ConfigureAwait(false);
        }
        await Task.WhenAll(tasks).WaitAsync(options.AskTimeout).ConfigureAwait(false);
        return samples;
    }

    private static async Task<Sample> SampleAsync(ServerProcess server, HttpClient metrics, TimeSpan at, HttpWindow window, long errors, long behind)
    {
        var status = await File.ReadAllLinesAsync($"/proc/{server.Id}/status").ConfigureAwait(false);
        double Status(string key) => status.Where(l => l.StartsWith(key + ":", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(key.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture)).FirstOrDefault(double.NaN);
        var fds = Directory.GetFileSystemEntries($"/proc/{server.Id}/fd").Length;
        var text = await metrics.GetStringAsync("/metrics").ConfigureAwait(false);
        return new Sample(at, window.PerSecond, window.Milliseconds(99), errors, behind, Status("VmRSS") / 1024,
            Metric(text, "dotnet_gc_last_collection_heap_size_bytes") / (1024 * 1024), Status("Threads"), fds, Metric(text, "bamboo_sessions_live"));
    }

    /// <summary>The sum of every series of a metric in Prometheus' text format (NaN when there is none).</summary>
    private static double Metric(string text, string name)
    {
        double? sum = null;
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length == name.Length || (line[name.Length] != '{' && line[name.Length] != ' ')) continue;
            var value = line[(line.LastIndexOf(' ') + 1)..];
            sum = (sum ?? 0) + double.Parse(value, CultureInfo.InvariantCulture);
        }
        return sum ?? double.NaN;
    }

    /// <summary>The mix of operations, taken in turn: each call runs the next one.</summary>
    private sealed class Churn(string tag)
    {
        private long _next;
        private string? _recent;

        /// <summary>The soak's load (for its first error and refusal).</summary>
        public HttpLoad? Load { get; set; }

        /// <summary>Operations that threw, by kind and exception (type and first line of its message).</summary>
        public ConcurrentDictionary<string, long> Errors { get; } = new();

        public async Task NextAsync(HttpLoad load)
        {
            var n = Interlocked.Increment(ref _next);
            try
            {
                await NextAsync(load, n).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                var kind = (n % 4) switch { 0 or 1 => "new session's run", 2 => "worker cycle", _ => "SSE" };
                Errors.AddOrUpdate($"{kind}: {Report.Describe(exception)}", 1, (_, count) => count + 1);
                throw;
            }
        }

        private async Task NextAsync(HttpLoad load, long n)
        {
            var session = $"soak-{tag}-{n}";
            switch (n % 4)
            {
                case 0:
                case 1:
                    var (status, _) = await load.PostAsync($"/sessions/{session}/runs", EchoRun, HttpStatusCode.Accepted).ConfigureAwait(false);
                    if (status == HttpStatusCode.Accepted) Volatile.Write(ref _recent, session);
                    break;
                case 2:
                    var (reserved, body) = await load.PostAsync($"/sessions/{session}/reservations", EmptyJson, HttpStatusCode.Created, readBody: true)
                        .ConfigureAwait(false);
                    if (reserved != HttpStatusCode.Created) return;
                    using (var json = JsonDocument.Parse(body!))
                    {
                        var run = $"/sessions/{session}/runs/{json.RootElement.GetProperty("runId").GetString()}";
                        await load.PostAsync($"{run}/events", Delta, HttpStatusCode.Accepted).ConfigureAwait(false);
                        await load.PostAsync($"{run}/finalize", Completed, HttpStatusCode.OK).ConfigureAwait(false);
                    }
                    break;
                default:
                    await StreamAsync(load, Volatile.Read(ref _recent) ?? session).ConfigureAwait(false);
                    break;
            }
        }

        /// <summary>Connects to a session's event stream, reads until its first event (or 2 s) and drops the connection.</summary>
        private static async Task StreamAsync(HttpLoad load, string session)
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/sessions/{session}/events");
            using var response = await load.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
                throw new InvalidOperationException($"GET /sessions/{session}/events → {(int)response.StatusCode}");
            await using var stream = await response.Content.ReadAsStreamAsync(cancel.Token).ConfigureAwait(false);
            var buffer = new byte[4096];
            var seen = new StringBuilder();
            try
            {
                while (!seen.ToString().Contains("\n\n", StringComparison.Ordinal))
                {
                    var read = await stream.ReadAsync(buffer, cancel.Token).ConfigureAwait(false);
                    if (read == 0) break;
                    seen.Append(Encoding.UTF8.GetString(buffer, 0, read));
                }
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                // No event within 2 s: dropped all the same.
            }
        }
    }
}
