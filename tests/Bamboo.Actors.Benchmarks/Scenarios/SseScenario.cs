using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Bamboo.Actors.Benchmarks.Harness;
using Bamboo.Actors.Client;
using Bamboo.Actors.Events;
using Bamboo.Actors.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Bamboo.Actors.Benchmarks.Scenarios;

/// <summary>
/// Scenario 6: events per second received by one HTTP client from the server's Server-Sent Events endpoint
/// (<c>GET /sessions/{id}/events</c>), with the real server on Kestrel on loopback in this process. A publisher pushes
/// token deltas into one running session, never more than <see cref="Window"/> events ahead of what the client has read;
/// the client counts <c>event: token_delta</c> frames until all of them have arrived. The publisher is either a
/// <see cref="RunLease"/> from the server's own <see cref="IRunnerClient"/> (unacknowledged publishes: the SSE path is
/// the bottleneck), or an external worker posting each event over HTTP (acknowledged: the worker API is).
/// </summary>
public static class SseScenario
{
    /// <summary>How far the publisher may run ahead of the client. Below the subscription buffer (1,024 by default), so
    /// the server-side subscription never overflows and every event reaches the client live.</summary>
    public const int Window = 1_000;

    /// <summary>Concurrent connections of the HTTP worker publisher.</summary>
    public const int WorkerConnections = 8;

    private const string ShortText = "hello";
    private static readonly string LongText = string.Concat(Enumerable.Repeat("The quick brown fox jumps over the lazy dog. ", 5))[..200];

    private enum Publisher
    {
        Lease,
        HttpWorker,
    }

    /// <summary>Starts the server, runs every row and prints the table.</summary>
    public static async Task RunAsync(BenchOptions options)
    {
        Report.Heading("Scenario 6 — SSE: events/s received by one HTTP client (Kestrel on loopback, in process)", options);
        var app = BambooServer.Create(
        [
            "--urls", "http://127.0.0.1:0",
            "--Bamboo:Persistence:Mode=None",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await app.StartAsync();
        var table = new MarkdownTable("publisher", "payload", "events", "seconds", "events/s", "runs: min–max events/s", "MB/s",
            "B/event on the wire", "CPU % (all cores)", "alloc B/event", "replay gaps", "target met (≥ 50k/s)");
        var rows = new (Publisher Publisher, string Text, long Events)[]
        {
            (Publisher.Lease, ShortText, options.SseEvents),
            (Publisher.Lease, LongText, options.SseEvents),
            (Publisher.HttpWorker, ShortText, options.SseWorkerEvents),
        };
        try
        {
            var runners = app.Services.GetRequiredService<IRunnerClient>();
            var baseAddress = new Uri(app.Urls.First());
            using var sse = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
            using var worker = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = WorkerConnections })
            {
                BaseAddress = baseAddress,
                Timeout = TimeSpan.FromSeconds(30),
            };
            var session = 0;
            // An untimed pass of each publisher first, so the JIT and tiering do not land in the first rows.
            Report.Progress($"sse: warm-up, {options.SseEvents:N0} + {options.SseWorkerEvents / 4:N0} events");
            await MeasureAsync(runners, sse, worker, $"sse-{session++}", Publisher.Lease, ShortText, options.SseEvents);
            await MeasureAsync(runners, sse, worker, $"sse-{session++}", Publisher.HttpWorker, ShortText, options.SseWorkerEvents / 4);
            foreach (var (publisher, text, events) in rows)
            {
                var label = publisher == Publisher.Lease ? "RunLease.PublishAsync (Tell)" : $"HTTP worker, {WorkerConnections} connections";
                var payload = $"token_delta, {text.Length}-char text";
                try
                {
                    var runs = new List<Result>();
                    for (var run = 0; run < options.SseRepetitions; run++)
                    {
                        Report.Progress($"sse: {label}, {payload}, {events:N0} events (run {run + 1} of {options.SseRepetitions})");
                        var r = await MeasureAsync(runners, sse, worker, $"sse-{session++}", publisher, text, events);
                        Report.Progress($"  {r.PerSecond:N0} events/s");
                        runs.Add(r);
                    }
                    runs.Sort((x, y) => x.PerSecond.CompareTo(y.PerSecond));
                    var median = runs[runs.Count / 2];
                    table.Row(label, payload, median.Events, median.Elapsed.TotalSeconds, median.PerSecond,
                        $"{MarkdownTable.Format(runs[0].PerSecond)}–{MarkdownTable.Format(runs[^1].PerSecond)}",
                        median.Bytes / median.Elapsed.TotalSeconds / 1e6, (double)median.Bytes / median.Events, median.CpuPercent,
                        (double)median.Allocated / median.Events, runs.Sum(r => r.Gaps),
                        // The target is the SSE path's; a worker posting each event over HTTP measures the worker API.
                        publisher == Publisher.Lease ? LifecycleScenario.Met(median.PerSecond >= 50_000) : "(reported)");
                }
                catch (Exception exception)
                {
                    Report.Failure($"sse ({label}, {payload})", exception);
                    table.Row(label, payload, events, "failed: " + exception.GetType().Name);
                }
            }
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
        Report.Table(table);
        Report.Note("Server: BambooServer.Create with --urls http://127.0.0.1:0, Bamboo:Persistence:Mode=None, warnings-only logging. " +
                    "Client: one HttpClient reading the text/event-stream response as it arrives, counting 'event: token_delta' lines.");
        Report.Note($"Publishers never run more than {Window:N0} events ahead of what the client has read; the clock runs from the first " +
                    "publish to the last event read. RunLease: IRunnerClient.ReserveAsync, then one unacknowledged PublishAsync per event. " +
                    $"HTTP worker: POST /sessions/{{id}}/reservations, then POST .../runs/{{runId}}/events per event (each answered 202) " +
                    $"from {WorkerConnections} concurrent connections.");
        Report.Note($"Each row is the median of {options.SseRepetitions} runs on fresh sessions. Server, publisher and client share " +
                    "this process and its cores: CPU and allocation are process-wide, client included.");
    }

    private sealed record Result(long Events, long Gaps, long Bytes, TimeSpan Elapsed, double CpuPercent, long Allocated)
    {
        public double PerSecond => Events / Elapsed.TotalSeconds;
    }

    private static async Task<Result> MeasureAsync(IRunnerClient runners, HttpClient sse, HttpClient worker, string sessionId,
        Publisher publisher, string text, long events)
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/sessions/{sessionId}/events");
        // The response headers go out once the subscription is live: nothing published afterwards is missed.
        using var response = await sse.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(cancel.Token);
        using var credits = new SemaphoreSlim(Window);

        Func<Task> publish;
        Func<Task> finish;
        if (publisher == Publisher.Lease)
        {
            var lease = await runners.ReserveAsync(sessionId, cancellationToken: cancel.Token);
            if (!lease.IsActive) throw new InvalidOperationException($"reservation of {sessionId} was not accepted: {lease.Status}");
            var evt = new TokenDelta(text);
            publish = async () =>
            {
                for (long sent = 0; sent < events; sent++)
                {
                    if (!credits.Wait(0)) await credits.WaitAsync(cancel.Token).ConfigureAwait(false);
                    if (!await lease.PublishAsync(evt).ConfigureAwait(false))
                        throw new InvalidOperationException($"the lease of {sessionId} is no longer active");
                }
            };
            finish = async () =>
            {
                await lease.CompleteAsync();
                await lease.DisposeAsync();
            };
        }
        else
        {
            var runId = await ReserveOverHttpAsync(worker, sessionId, cancel.Token);
            var path = $"/sessions/{sessionId}/runs/{runId}/events";
            var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { type = "token_delta", text }));
            long next = 0;
            publish = () => Task.WhenAll(Enumerable.Range(0, WorkerConnections).Select(_ => Task.Run(async () =>
            {
                while (Interlocked.Increment(ref next) <= events)
                {
                    if (!credits.Wait(0)) await credits.WaitAsync(cancel.Token).ConfigureAwait(false);
                    using var content = new ByteArrayContent(json);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                    using var posted = await worker.PostAsync(path, content, cancel.Token).ConfigureAwait(false);
                    if (posted.StatusCode != HttpStatusCode.Accepted)
                        throw new InvalidOperationException($"POST {path} answered {(int)posted.StatusCode}");
                }
            })));
            finish = async () =>
            {
                using var content = new StringContent("""{"outcome":"completed"}""", Encoding.UTF8, "application/json");
                using var finalized = await worker.PostAsync($"/sessions/{sessionId}/runs/{runId}/finalize", content, cancel.Token);
                finalized.EnsureSuccessStatusCode();
            };
        }

        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var allocated = GC.GetTotalAllocatedBytes(precise: false);
        var started = Stopwatch.GetTimestamp();
        var publishing = Task.Run(publish, cancel.Token);
        var (received, gaps, bytes) = await CountAsync(body, events, credits, cancel.Token);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var cpuPercent = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds / elapsed.TotalSeconds / Environment.ProcessorCount * 100;
        var allocatedBytes = GC.GetTotalAllocatedBytes(precise: false) - allocated;
        await publishing;
        await finish();
        return new Result(received, gaps, bytes, elapsed, cpuPercent, allocatedBytes);
    }

    private static async Task<string> ReserveOverHttpAsync(HttpClient worker, string sessionId, CancellationToken cancellationToken)
    {
        using var content = new StringContent("{}", Encoding.UTF8, "application/json");
        using var reserved = await worker.PostAsync($"/sessions/{sessionId}/reservations", content, cancellationToken);
        if (reserved.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"reservation of {sessionId} answered {(int)reserved.StatusCode}");
        using var json = JsonDocument.Parse(await reserved.Content.ReadAsStringAsync(cancellationToken));
        return json.RootElement.GetProperty("runId").GetString() ?? throw new InvalidOperationException("no runId in the reservation");
    }

    /// <summary>Reads the event stream until <paramref name="expected"/> token deltas have arrived, giving the publisher one
    /// credit back per delta read.</summary>
    private static async Task<(long Events, long Gaps, long Bytes)> CountAsync(Stream body, long expected, SemaphoreSlim credits,
        CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        var carried = 0;
        long events = 0, gaps = 0, bytes = 0;
        while (events < expected)
        {
            if (carried == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
            var read = await body.ReadAsync(buffer.AsMemory(carried), cancellationToken).ConfigureAwait(false);
            if (read == 0) throw new EndOfStreamException($"the event stream ended after {events:N0} of {expected:N0} events");
            bytes += read;
            var (deltas, gapFrames, consumed) = Scan(buffer.AsSpan(0, carried + read));
            events += deltas;
            gaps += gapFrames;
            carried = carried + read - consumed;
            buffer.AsSpan(consumed, carried).CopyTo(buffer);
            if (deltas > 0) credits.Release(deltas);
        }
        return (events, gaps, bytes);
    }

    /// <summary>Counts the complete lines of <paramref name="data"/> that name a token delta or a replay gap; returns how many
    /// bytes of complete lines were consumed.</summary>
    private static (int Deltas, int Gaps, int Consumed) Scan(ReadOnlySpan<byte> data)
    {
        int deltas = 0, gaps = 0, consumed = 0;
        while (true)
        {
            var newline = data[consumed..].IndexOf((byte)'\n');
            if (newline < 0) return (deltas, gaps, consumed);
            var line = data.Slice(consumed, newline);
            if (line.StartsWith("event: "u8))
            {
                var type = line["event: "u8.Length..];
                if (type.SequenceEqual("token_delta"u8)) deltas++;
                else if (type.SequenceEqual("replay_gap"u8)) gaps++;
            }
            consumed += newline + 1;
        }
    }
}
