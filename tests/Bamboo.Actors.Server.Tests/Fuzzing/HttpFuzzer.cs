using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Bamboo.Actors.Server.Tests.Fuzzing;

/// <summary>A server under fuzz: its process, its API key (null: none), and how many lanes of each kind drive it.</summary>
public sealed record FuzzTarget(string Name, ServerProcess Server, string? ApiKey, int FuzzLanes, int ValidLanes, double Share);

/// <summary>What broke: the kind of violation, where, the request and the response.</summary>
public sealed record FuzzViolation(string Kind, string Lane, long Number, string Request, string Response, string? Detail = null)
{
    public override string ToString() =>
        $"[{Kind}] {Lane} request #{Number}{Environment.NewLine}  request: {Request.Replace("\n", Environment.NewLine + "  ")}" +
        $"{Environment.NewLine}  response: {Response}" + (Detail is null ? "" : $"{Environment.NewLine}  {Detail.Replace("\n", Environment.NewLine + "  ")}");
}

/// <summary>Figures of a fuzz run.</summary>
public sealed class FuzzReport
{
    private long _fuzzRequests;
    private long _validRequests;
    private long _snapshotReads;
    private long _retired;
    private long _noResponse;

    public ConcurrentDictionary<int, long> Statuses { get; } = new();

    /// <summary>Fuzzed requests per route (and per body mode other than whole).</summary>
    public ConcurrentDictionary<string, long> Routes { get; } = new();

    public ConcurrentQueue<FuzzViolation> Violations { get; } = new();

    public long FuzzRequests => Interlocked.Read(ref _fuzzRequests);

    public long ValidRequests => Interlocked.Read(ref _validRequests);

    public long SnapshotReads => Interlocked.Read(ref _snapshotReads);

    /// <summary>Sessions taken out of the checks because a fuzzed request was accepted (and changed them, legitimately).</summary>
    public long Retired => Interlocked.Read(ref _retired);

    /// <summary>Requests with a broken body (truncated, bad chunks) that the server closed without answering.</summary>
    public long NoResponse => Interlocked.Read(ref _noResponse);

    public TimeSpan Duration { get; set; }

    public long ServerErrors => Statuses.Where(status => status.Key >= 500).Sum(status => status.Value);

    internal void CountFuzz(int status)
    {
        Interlocked.Increment(ref _fuzzRequests);
        Statuses.AddOrUpdate(status, 1, (_, count) => count + 1);
    }

    internal void CountNoResponse()
    {
        Interlocked.Increment(ref _fuzzRequests);
        Interlocked.Increment(ref _noResponse);
    }

    internal void CountRoute(FuzzCase fuzz)
    {
        Routes.AddOrUpdate(fuzz.Route, 1, (_, count) => count + 1);
        if (fuzz.Request.Mode != BodyMode.Whole) Routes.AddOrUpdate($"body {fuzz.Request.Mode}", 1, (_, count) => count + 1);
        if (fuzz.Request.Body is { Length: >= RequestGenerator.MiB - 1 }) Routes.AddOrUpdate("body of 1 MiB - 1 or more", 1, (_, count) => count + 1);
    }

    internal void CountValid() => Interlocked.Increment(ref _validRequests);

    internal void CountSnapshot() => Interlocked.Increment(ref _snapshotReads);

    internal void CountRetired() => Interlocked.Increment(ref _retired);

    public string Summary() =>
        $"{FuzzRequests:N0} fuzzed requests ({string.Join(", ", Statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value:N0}"))}; " +
        $"{NoResponse:N0} broken bodies closed without an answer), {ValidRequests:N0} valid requests, {SnapshotReads:N0} snapshot reads, " +
        $"{Retired:N0} sessions retired after an accepted request, 5xx: {ServerErrors}, violations: {Violations.Count}, " +
        $"{Duration.TotalSeconds:F1} s{Environment.NewLine}  by kind: {string.Join(", ", Routes.OrderBy(r => r.Key).Select(r => $"{r.Key}: {r.Value:N0}"))}";
}

/// <summary>
/// Sends random and mutated requests (<see cref="RequestGenerator"/>) to real server processes, interleaved with valid
/// traffic, and checks every answer: never a 5xx, never a hang (each request is bounded), every 4xx carries the JSON
/// error body <c>{"error","detail"}</c>, and a rejected request changes nothing. That last check is exact because each
/// fuzz lane owns its sessions (no other traffic touches them): the lane reads a session's snapshot before and after
/// each request aimed at it; when a request is accepted (a 2xx that may change state), the session is retired from
/// the checks and replaced by a fresh one.
/// </summary>
public sealed class HttpFuzzer(int seed, long requests, Action<string> log)
{
    private const int MaxViolations = 25;
    private const long ThirtyDaysMs = 30L * 24 * 60 * 60 * 1000;
    private static readonly TimeSpan RequestBound = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan ValidPause = TimeSpan.FromMilliseconds(40);

    private readonly FuzzReport _report = new();
    private readonly CancellationTokenSource _stop = new();

    public async Task<FuzzReport> RunAsync(IReadOnlyList<FuzzTarget> targets)
    {
        var clock = Stopwatch.StartNew();
        var slowBudget = (int)Math.Clamp(requests / 600, 1, 40);
        var fuzzLanes = new List<Task>();
        var validLanes = new List<Task>();
        var lane = 0;
        using var fuzzDone = new CancellationTokenSource();
        foreach (var target in targets)
        {
            var perLane = (long)Math.Ceiling(requests * target.Share / target.FuzzLanes);
            for (var i = 0; i < target.FuzzLanes; i++, lane++)
            {
                var index = lane;
                fuzzLanes.Add(Task.Run(() => FuzzLaneAsync(target, index, perLane, Math.Max(1, slowBudget / targets.Sum(t => t.FuzzLanes)))));
            }
            for (var i = 0; i < target.ValidLanes; i++, lane++)
            {
                var index = lane;
                validLanes.Add(Task.Run(() => ValidLaneAsync(target, index, fuzzDone.Token)));
            }
        }
        await Task.WhenAll(fuzzLanes);
        await fuzzDone.CancelAsync();
        await Task.WhenAll(validLanes);
        foreach (var target in targets) await FinalChecksAsync(target);
        _report.Duration = clock.Elapsed;
        return _report;
    }

    private void Violation(FuzzViolation violation)
    {
        _report.Violations.Enqueue(violation);
        log(violation.ToString());
        if (_report.Violations.Count >= MaxViolations) _stop.Cancel();
    }

    // ---- fuzz lanes ------------------------------------------------------------------------------------------------

    private async Task FuzzLaneAsync(FuzzTarget target, int lane, long budget, int slowBudget)
    {
        var name = $"{target.Name}/fuzz-{lane}";
        var random = new Random(unchecked(seed * 7919 + lane));
        var port = target.Server.Url.Port;
        var generator = new RequestGenerator(random, lane, port, target.ApiKey);
        using var http = Client(target);
        var sessions = new List<FuzzSession>();
        var created = 0;
        var baselines = new Dictionary<string, string>(StringComparer.Ordinal);
        var retired = new HashSet<string>(StringComparer.Ordinal);
        RawHttpConnection? connection = null;
        try
        {
            for (var kind = 0; kind < 3; kind++) sessions.Add(await NewSessionAsync(http, name, lane, kind, created++));
            for (long number = 1; number <= budget && !_stop.IsCancellationRequested; number++)
            {
                var slow = slowBudget > 0 && random.NextDouble() < 0.002;
                if (slow) slowBudget--;
                var fuzz = slow ? generator.Slow(sessions[random.Next(sessions.Count)]) : generator.Next(sessions);
                _report.CountRoute(fuzz);
                var id = fuzz.SessionId;
                var checkable = id is not null && !retired.Contains(id);
                if (checkable && !baselines.ContainsKey(id!)) baselines[id!] = await SnapshotAsync(http, id!);

                (var response, var reported, connection) = await SendAsync(connection, port, fuzz.Request, name, number);
                if (response is null)
                {
                    _report.CountNoResponse();
                    if (!reported && fuzz.Request.Mode is BodyMode.Whole or BodyMode.Chunked or BodyMode.Slow)
                        Violation(new FuzzViolation("no response", name, number, fuzz.Request.Describe(), "the connection closed without an answer"));
                }
                else
                {
                    _report.CountFuzz(response.Status);
                    CheckAnswer(name, number, fuzz, response);
                }

                if (id is null) continue;
                var accepted = response is { Status: >= 200 and < 300 } && fuzz.Request.Method is not "GET" and not "HEAD";
                if (accepted)
                {
                    CheckAnsweredSession(name, number, fuzz, response!, id);
                    // The request was legitimately accepted: this session's state moves on (perhaps by itself, a run
                    // executing). It is never checked again; a lane session is replaced by a new one of the same kind.
                    retired.Add(id);
                    baselines.Remove(id);
                    _report.CountRetired();
                    var index = sessions.FindIndex(session => session.Id == id);
                    if (index >= 0) sessions[index] = await NewSessionAsync(http, name, lane, index, created++);
                    continue;
                }
                if (!checkable) continue;
                var after = await SnapshotAsync(http, id);
                if (after != baselines[id])
                {
                    Violation(new FuzzViolation("state changed by a rejected request", name, number, fuzz.Request.Describe(),
                        response?.Describe() ?? "(none)", $"session '{id}'\nbefore: {baselines[id]}\nafter:  {after}"));
                    baselines[id] = after;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopped: enough violations were found.
        }
        catch (Exception exception)
        {
            Violation(new FuzzViolation("lane failed", name, 0, "", exception.GetType().Name, exception.ToString()));
        }
        finally
        {
            connection?.Dispose();
        }
    }

    /// <summary>
    /// Sends one fuzzed request (bounded) on <paramref name="connection"/> (or a new one); null when no answer came. A
    /// kept-alive connection the server closed meanwhile (it may, after a body it did not read) is not the request's
    /// fault: the request is sent again on a new connection. Returns the connection to use next, if reusable.
    /// </summary>
    private async Task<(RawResponse? Response, bool Reported, RawHttpConnection? Connection)> SendAsync(RawHttpConnection? connection,
        int port, RawRequest request, string lane, long number)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(RequestBound + (request.Mode == BodyMode.Slow ? TimeSpan.FromSeconds(3) : TimeSpan.Zero));
        for (var attempt = 0; ; attempt++)
        {
            var reused = connection is not null;
            try
            {
                connection ??= await RawHttpConnection.OpenAsync(port, timeout.Token);
                var response = await connection.SendAsync(request, timeout.Token);
                if (response is null && reused && attempt == 0)
                {
                    connection.Dispose();
                    connection = null;
                    continue;
                }
                if (response is null || !connection.Reusable)
                {
                    connection.Dispose();
                    connection = null;
                }
                return (response, false, connection);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !_stop.IsCancellationRequested)
            {
                connection?.Dispose();
                Violation(new FuzzViolation("hang", lane, number, request.Describe(), $"no complete answer within {RequestBound.TotalSeconds:F0} s"));
                return (null, true, null);
            }
            catch (Exception exception) when (exception is IOException or System.Net.Sockets.SocketException or InvalidDataException)
            {
                connection?.Dispose();
                connection = null;
                if (reused && attempt == 0) continue;
                if (request.Mode is BodyMode.Truncated or BodyMode.BadChunked) return (null, true, null);
                Violation(new FuzzViolation("broken answer", lane, number, request.Describe(), exception.Message));
                return (null, true, null);
            }
        }
    }

    /// <summary>Never a 5xx; every 4xx is <c>{"error","detail"}</c> JSON (a HEAD answer has no body to check).</summary>
    private void CheckAnswer(string lane, long number, FuzzCase fuzz, RawResponse response)
    {
        if (response.Status >= 500)
        {
            Violation(new FuzzViolation($"{response.Status}", lane, number, fuzz.Request.Describe(), response.Describe()));
            return;
        }
        if (response.Status is < 400 or >= 500 || fuzz.Request.Method == "HEAD") return;
        // Kestrel itself refuses a request target with an encoded NUL, before any application code runs: a bare 400 that
        // closes the connection. No endpoint can answer it otherwise.
        if (response.Status == 400 && response.Body.Length == 0 && fuzz.Request.Target.Contains("%00", StringComparison.Ordinal)
            && response.Headers.TryGetValue("connection", out var connection) && connection.Equals("close", StringComparison.OrdinalIgnoreCase))
            return;
        string? problem = null;
        if (response.MediaType != "application/json") problem = $"content type {response.MediaType ?? "(none)"}";
        else
        {
            try
            {
                using var body = JsonDocument.Parse(response.Body);
                var root = body.RootElement;
                if (root.ValueKind != JsonValueKind.Object
                    || !root.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.String || error.GetString() is not { Length: > 0 }
                    || !root.TryGetProperty("detail", out var detail) || detail.ValueKind != JsonValueKind.String || detail.GetString() is not { Length: > 0 })
                {
                    problem = "no string 'error' and 'detail'";
                }
            }
            catch (JsonException exception)
            {
                problem = $"not JSON: {exception.Message}";
            }
        }
        if (problem is not null) Violation(new FuzzViolation("4xx without the JSON error body", lane, number, fuzz.Request.Describe(), response.Describe(), problem));
    }

    /// <summary>An accepted request that names its session in the answer names the one its URL means.</summary>
    private void CheckAnsweredSession(string lane, long number, FuzzCase fuzz, RawResponse response, string id)
    {
        try
        {
            using var body = JsonDocument.Parse(response.Body);
            if (body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("sessionId", out var answered)
                && answered.GetString() != id)
            {
                Violation(new FuzzViolation("another session than the URL's", lane, number, fuzz.Request.Describe(), response.Describe(),
                    $"the URL means session '{id}'"));
            }
        }
        catch (JsonException)
        {
            // Not every accepted answer is JSON (an event stream); nothing to compare.
        }
    }

    /// <summary>A new lane session: 0 never used, 1 one ended run, 2 a running reservation (30-day deadline) after an ended one.</summary>
    private async Task<FuzzSession> NewSessionAsync(HttpClient http, string lane, int laneIndex, int kind, int serial)
    {
        var id = $"L{laneIndex}-{kind switch { 0 => "fresh", 1 => "ended", _ => "running" }}-{serial}";
        if (kind % 3 == 0) return new FuzzSession(id, null, null);
        var ended = await ReserveAsync(http, lane, id);
        await ValidAsync(http, lane, HttpMethod.Post, Path(id, $"/runs/{ended}/finalize"), """{"outcome":"completed"}""", HttpStatusCode.OK);
        if (kind % 3 == 1) return new FuzzSession(id, null, ended);
        return new FuzzSession(id, await ReserveAsync(http, lane, id), ended);
    }

    private async Task<string> ReserveAsync(HttpClient http, string lane, string id)
    {
        var body = await ValidAsync(http, lane, HttpMethod.Post, Path(id, "/reservations"), $$"""{"deadlineMs":{{ThirtyDaysMs}}}""", HttpStatusCode.Created);
        return body.GetProperty("runId").GetString()!;
    }

    /// <summary>The session's state as text: its snapshot without the subscriber count (event streams come and go);
    /// a session with nothing in it reads the same as one that does not exist.</summary>
    private async Task<string> SnapshotAsync(HttpClient http, string id)
    {
        _report.CountSnapshot();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(RequestBound);
        using var response = await http.GetAsync(Path(id), timeout.Token);
        var text = await response.Content.ReadAsStringAsync(timeout.Token);
        if (response.StatusCode == HttpStatusCode.NotFound) return "(unknown session)";
        if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"GET {Path(id)} answered {(int)response.StatusCode}: {text}");
        var snapshot = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(text)!;
        snapshot.Remove("subscriberCount");
        var empty = snapshot["status"].GetString() == "pending" && snapshot["runId"].ValueKind == JsonValueKind.Null
            && snapshot["lastSequence"].GetInt64() == 0 && snapshot["queueLength"].GetInt32() == 0;
        return empty ? "(unknown session)" : JsonSerializer.Serialize(snapshot);
    }

    // ---- valid traffic ---------------------------------------------------------------------------------------------

    /// <summary>Valid traffic on sessions of its own, until the fuzz lanes are done: every answer must be the expected one.</summary>
    private async Task ValidLaneAsync(FuzzTarget target, int lane, CancellationToken fuzzDone)
    {
        var name = $"{target.Name}/valid-{lane}";
        var random = new Random(unchecked(seed * 7919 + lane));
        using var http = Client(target);
        var serial = 0;
        try
        {
            while (!fuzzDone.IsCancellationRequested && !_stop.IsCancellationRequested)
            {
                var id = $"V{lane}-{serial++}";
                switch (random.Next(5))
                {
                    case 0: await WorkerScenarioAsync(http, name, id, random); break;
                    case 1: await ManagedScenarioAsync(http, name, id); break;
                    case 2: await CancelScenarioAsync(http, name, id); break;
                    case 3: await QueueScenarioAsync(http, name, id); break;
                    default: await StreamScenarioAsync(http, name, id); break;
                }
                // Valid traffic runs beside the fuzz, it is not the load: a pause between scenarios leaves the server to both.
                await Task.Delay(ValidPause, fuzzDone);
            }
        }
        catch (ValidTrafficException)
        {
            // Already reported.
        }
        catch (OperationCanceledException) when (fuzzDone.IsCancellationRequested || _stop.IsCancellationRequested)
        {
            // The fuzz lanes are done (or stopped).
        }
        catch (Exception exception)
        {
            Violation(new FuzzViolation("valid lane failed", name, 0, "", exception.GetType().Name, exception.ToString()));
        }
    }

    private async Task WorkerScenarioAsync(HttpClient http, string lane, string id, Random random)
    {
        var runId = await ReserveAsync(http, lane, id);
        long sequence = 0;
        string[] events =
        [
            """{"type":"token_delta","text":"hello "}""", """{"type":"tool_started","toolName":"search"}""",
            """{"type":"tool_lifecycle","toolName":"search","phase":"finished"}""", """{"type":"runner_progress","roundCount":2}""",
            """{"type":"token_budget","used":10,"limit":100}""",
        ];
        for (var i = random.Next(1, 5); i > 0; i--)
        {
            var ack = await ValidAsync(http, lane, HttpMethod.Post, Path(id, $"/runs/{runId}/events"), events[random.Next(events.Length)], HttpStatusCode.Accepted);
            var next = ack.GetProperty("sequence").GetInt64();
            if (next <= sequence) Violation(new FuzzViolation("sequence went backwards", lane, 0, $"POST events on {id}", $"{next} after {sequence}"));
            sequence = next;
        }
        var outcome = new[] { "completed", "cancelled", "error" }[random.Next(3)];
        await ValidAsync(http, lane, HttpMethod.Post, Path(id, $"/runs/{runId}/finalize"), $$"""{"outcome":"{{outcome}}"}""", HttpStatusCode.OK);
        await ValidAsync(http, lane, HttpMethod.Post, Path(id, $"/runs/{runId}/finalize"), """{"outcome":"completed"}""", HttpStatusCode.Conflict);
        await ValidAsync(http, lane, HttpMethod.Post, Path(id, $"/runs/{runId}/events"), events[0], HttpStatusCode.Conflict);
    }

    private async Task ManagedScenarioAsync(HttpClient http, string lane, string id)
    {
        var started = await ValidAsync(http, lane, HttpMethod.Post, Path(id, "/runs"), """{"agent":"echo","input":"one two three"}""", HttpStatusCode.Accepted);
        await WaitForAsync(http, lane, id, started.GetProperty("runId").GetString()!, "completed");
    }

    private async Task CancelScenarioAsync(HttpClient http, string lane, string id)
    {
        var started = await ValidAsync(http, lane, HttpMethod.Post, Path(id, "/runs"), """{"agent":"sleep","durationMs":60000}""", HttpStatusCode.Accepted);
        var runId = started.GetProperty("runId").GetString()!;
        await ValidAsync(http, lane, HttpMethod.Post, Path(id, "/runs"), """{"agent":"echo"}""", HttpStatusCode.Conflict);
        await ValidAsync(http, lane, HttpMethod.Post, Path(id, "/cancel"), $$"""{"runId":"{{runId}}","reason":"valid traffic"}""", HttpStatusCode.Accepted);
        await WaitForAsync(http, lane, id, runId, "cancelled");
    }

    private async Task QueueScenarioAsync(HttpClient http, string lane, string id)
    {
        var first = await ReserveAsync(http, lane, id);
        var queued = await ValidAsync(http, lane, HttpMethod.Post, Path(id, "/reservations"), """{"onConflict":"enqueue","deadlineMs":60000}""", HttpStatusCode.Accepted);
        var second = queued.GetProperty("runId").GetString()!;
        await ValidAsync(http, lane, HttpMethod.Post, Path(id, "/reservations"), "{}", HttpStatusCode.Conflict);
        await ValidAsync(http, lane, HttpMethod.Post, Path(id, $"/runs/{first}/finalize"), """{"outcome":"completed"}""", HttpStatusCode.OK);
        await WaitForAsync(http, lane, id, second, "running");
        await ValidAsync(http, lane, HttpMethod.Post, Path(id, $"/runs/{second}/finalize"), """{"outcome":"error","error":"queued then failed"}""", HttpStatusCode.OK);
    }

    private async Task StreamScenarioAsync(HttpClient http, string lane, string id)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(RequestBound);
        _report.CountValid();
        await using var stream = await SseClient.ConnectAsync(http, Path(id, "/events"));
        if (stream.Response.StatusCode != HttpStatusCode.OK) Fail(lane, $"GET {Path(id, "/events")}", $"{(int)stream.Response.StatusCode}", "expected 200");
        var runId = await ReserveAsync(http, lane, id);
        await ValidAsync(http, lane, HttpMethod.Post, Path(id, $"/runs/{runId}/events"), """{"type":"token_delta","text":"streamed"}""", HttpStatusCode.Accepted);
        await ValidAsync(http, lane, HttpMethod.Post, Path(id, $"/runs/{runId}/finalize"), """{"outcome":"completed"}""", HttpStatusCode.OK);
        var frames = await stream.EventsUntilAsync("execution_finished");
        if (!frames.Any(frame => frame.Event == "token_delta" && frame.Json.GetProperty("text").GetString() == "streamed"))
            Fail(lane, $"GET {Path(id, "/events")}", string.Join(", ", frames.Select(frame => frame.Event)), "the posted token_delta was not streamed");
    }

    private async Task WaitForAsync(HttpClient http, string lane, string id, string runId, string status)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(RequestBound);
        JsonElement last = default;
        try
        {
            while (true)
            {
                last = await ValidAsync(http, lane, HttpMethod.Get, Path(id), null, HttpStatusCode.OK);
                if (last.GetProperty("runId").GetString() == runId && last.GetProperty("status").GetString() == status) return;
                await Task.Delay(20, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !_stop.IsCancellationRequested)
        {
            Fail(lane, $"GET {Path(id)}", last.ToString(), $"run {runId} not {status} within {RequestBound.TotalSeconds:F0} s");
        }
    }

    /// <summary>One valid request; any other answer than <paramref name="expected"/> is a violation.</summary>
    private async Task<JsonElement> ValidAsync(HttpClient http, string lane, HttpMethod method, string path, string? json, HttpStatusCode expected)
    {
        _report.CountValid();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(RequestBound);
        using var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        string text;
        HttpStatusCode status;
        try
        {
            using var response = await http.SendAsync(request, timeout.Token);
            status = response.StatusCode;
            text = await response.Content.ReadAsStringAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !_stop.IsCancellationRequested)
        {
            Fail(lane, $"{method} {path} {json}", "(none)", $"no answer within {RequestBound.TotalSeconds:F0} s");
            throw;
        }
        if (status != expected) Fail(lane, $"{method} {path} {json}", $"{(int)status} {text}", $"expected {(int)expected}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    private void Fail(string lane, string request, string response, string detail)
    {
        Violation(new FuzzViolation(response.StartsWith('5') ? response[..3] : "valid traffic answered wrongly", lane, 0, request, response, detail));
        throw new ValidTrafficException();
    }

    // ---- the end ---------------------------------------------------------------------------------------------------

    /// <summary>The server process is still alive and answering, ready, and runs a managed run to its end.</summary>
    private async Task FinalChecksAsync(FuzzTarget target)
    {
        var name = $"{target.Name}/final";
        if (!target.Server.IsRunning)
        {
            Violation(new FuzzViolation("server process exited", name, 0, "", "", target.Server.OutputTail()));
            return;
        }
        using var http = Client(target);
        try
        {
            await ValidAsync(http, name, HttpMethod.Get, "/healthz", null, HttpStatusCode.OK);
            await ValidAsync(http, name, HttpMethod.Get, "/readyz", null, HttpStatusCode.OK);
            await ManagedScenarioAsync(http, name, $"final-{seed}");
        }
        catch (ValidTrafficException)
        {
            // Reported.
        }
        foreach (var error in target.Server.Errors.Where(line => line.StartsWith("fail: Microsoft.AspNetCore", StringComparison.Ordinal)))
            Violation(new FuzzViolation("unhandled exception logged", name, 0, "", error));
    }

    private static HttpClient Client(FuzzTarget target)
    {
        var http = new HttpClient { BaseAddress = target.Server.Url, Timeout = Timeout.InfiniteTimeSpan };
        if (target.ApiKey is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", target.ApiKey);
        return http;
    }

    private static string Path(string id, string rest = "") => RunningServerClient.Path(id, rest);

    private sealed class ValidTrafficException : Exception;
}
