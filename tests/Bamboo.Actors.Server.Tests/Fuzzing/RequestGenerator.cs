using System.Text;
using Bamboo.Actors.Routing;

namespace Bamboo.Actors.Server.Tests.Fuzzing;

/// <summary>A session a fuzz lane owns and checks: nothing touches it but that lane's requests.</summary>
public sealed class FuzzSession(string id, string? currentRunId, string? staleRunId)
{
    public string Id { get; } = id;

    /// <summary>The run the session has running (a reservation), if any.</summary>
    public string? CurrentRunId { get; } = currentRunId;

    /// <summary>A run of the session that has ended, if any.</summary>
    public string? StaleRunId { get; } = staleRunId;
}

/// <summary>A generated request and the session its URL means (null when it means none, or an invalid id).</summary>
public sealed record FuzzCase(RawRequest Request, string? SessionId, string Route);

/// <summary>
/// Random and mutated requests for every route of the server: valid ones and every kind of hostile input (malformed
/// JSON, deep nesting, huge numbers, duplicate keys, wrong types, invalid UTF-8, NUL and control characters, bodies of
/// 1 MiB ± 1, wrong content types, odd session ids, run ids and cursors, bad and missing auth, truncated, slow and
/// badly chunked bodies). Deterministic for a seed.
/// </summary>
public sealed class RequestGenerator(Random random, int lane, int port, string? apiKey)
{
    public const int MiB = 1024 * 1024;

    private static readonly string[] Methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "FOO", "post", "M-SEARCH"];
    private static readonly string[] Agents = ["echo", "sleep", "fail"];
    private static readonly string[] Policies = ["reject", "interrupt", "enqueue"];
    private static readonly string[] Outcomes = ["completed", "cancelled", "error"];
    private static readonly string[] ContentTypes =
    [
        "text/plain", "application/xml", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded",
        "application/json; charset=utf-16", "application/jsonx", "APPLICATION/JSON", "application/problem+json",
        "application/json-seq", "*/*", "json", "application/", "application/json; charset=\"", "text/json",
    ];
    private static readonly string[] OddIds =
    [
        "a/b", "$x", " spaces here ", "🎋", "Case", "case", "ÄÖÜ", "%", "?q", "#frag", "a+b", "a;b", "a,b", "~", "\"quoted\"",
        "<tag>", "'", "\\", "dots..", "...", "null", "undefined", "0", "-1", "中文", "\u00a0nbsp", "tab\u00adsoft", "ﾟ",
        "\u200b", "\ufeff", "a\u0301", "x=y&z", "%2F", "%00", "%E2%82%AC",
    ];
    private static readonly string[] InvalidIds = ["", "%00", "%0A", "%09", "%7F", "%1F", "%C2%80", "%ED%A0%80"];
    private static readonly string[] Cursors =
    [
        "-1", "abc", "1e3", "99999999999999999999", "9223372036854775807", "9223372036854775808", "", " 1", "+1", "0x10",
        "%D9%A3", "1.0", "0", "1", "5", "00001", "%00", "1%20", "--1", "18446744073709551615",
    ];
    private static readonly string[] IntegerLiterals =
    [
        "-1", "0", "1", "1.5", "1e3", "1E2", "-0", "0.0", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
        "18446744073709551616", "2147483648", "4294967296", "1e308", "1e400", "-1e400", "1" + new string('0', 400),
        "922337203685477", "922337203685478", "2592000000", "2592000001", "86400000", "31536000000000",
    ];

    private int _odd;

    /// <summary>A request for one of <paramref name="sessions"/> (or an odd id, or no session at all).</summary>
    public FuzzCase Next(IReadOnlyList<FuzzSession> sessions)
    {
        var session = sessions[random.Next(sessions.Count)];
        var roll = random.NextDouble();
        var (segment, id) = roll switch
        {
            < 0.70 => (Uri.EscapeDataString(session.Id), session.Id),
            < 0.88 => OddSegment(),
            _ => InvalidSegment(),
        };
        var route = random.Next(10);
        var runId = RunId(session);
        var (method, path, body, name) = route switch
        {
            0 => ("POST", $"/sessions/{segment}/runs", RunsBody(), "runs"),
            1 => ("POST", $"/sessions/{segment}/reservations", ReservationBody(), "reservations"),
            2 or 3 => ("POST", $"/sessions/{segment}/runs/{runId}/events", EventBody(), "events"),
            4 => ("POST", $"/sessions/{segment}/runs/{runId}/finalize", FinalizeBody(), "finalize"),
            5 => ("POST", $"/sessions/{segment}/cancel", CancelBody(session), "cancel"),
            6 => ("GET", $"/sessions/{segment}", null, "snapshot"),
            7 => ("GET", $"/sessions/{segment}/events{CursorQuery()}", null, "events-stream"),
            8 => ("GET", Pick(["/healthz", "/readyz", "/metrics", "/", "/sessions", "/sessions/", "/favicon.ico", "/openapi/v1.json"]), null, "other"),
            _ => ("POST", $"/sessions/{segment}/{Pick(["nothing", "runs/", "runs/x", "runs/x/y", "events/1", "cancel/now", ""])}", Json("{}"), "unknown-route"),
        };
        // Sometimes another method than the route's: 405 (or a 404 for paths no method serves).
        if (random.NextDouble() < 0.12) method = Pick(Methods);
        if (method is "GET" or "HEAD" && random.NextDouble() < 0.9) body = null;
        else if (method is not "GET" and not "HEAD" && body is null && random.NextDouble() < 0.5) body = Json("{}");
        path = Disguise(path);

        var headers = new List<KeyValuePair<string, string>>();
        var mode = BodyMode.Whole;
        if (body is not null)
        {
            var contentType = random.NextDouble() switch
            {
                < 0.82 => "application/json",
                < 0.86 => null,
                _ => Pick(ContentTypes),
            };
            if (contentType is not null) headers.Add(new("Content-Type", contentType));
            mode = random.NextDouble() switch
            {
                < 0.93 => BodyMode.Whole,
                < 0.96 => BodyMode.Chunked,
                < 0.98 => BodyMode.Truncated,
                _ => BodyMode.BadChunked,
            };
        }
        if (name == "events-stream" && random.NextDouble() < 0.3) headers.Add(new("Last-Event-ID", Pick(Cursors).Replace("%", "", StringComparison.Ordinal)));
        if (random.NextDouble() < 0.03) headers.Add(new("Expect", "100-continue"));
        if (random.NextDouble() < 0.03) headers.Add(new("Connection", "close"));
        if (random.NextDouble() < 0.02) headers.Add(new("Content-Encoding", "gzip"));
        if (random.NextDouble() < 0.02) headers.Add(new("Idempotency-Key", new string('k', random.Next(1, 200))));
        Authorize(headers);
        var addressed = name != "other" && id is not null && SessionIds.Validate(id) is null ? id : null;
        return new FuzzCase(new RawRequest(method, path, headers, body, mode), addressed, name);
    }

    /// <summary>A slow body: a valid-looking request whose body trickles in over about a second.</summary>
    public FuzzCase Slow(FuzzSession session)
    {
        var headers = new List<KeyValuePair<string, string>> { new("Content-Type", "application/json") };
        Authorize(headers);
        var body = random.Next(2) == 0 ? Json("""{"agent":"nope","input":"slow"}""") : Json("""{"outcome":"maybe"}""");
        var path = random.Next(2) == 0 ? $"/sessions/{Uri.EscapeDataString(session.Id)}/runs" : $"/sessions/{Uri.EscapeDataString(session.Id)}/runs/{RunId(session)}/finalize";
        return new FuzzCase(new RawRequest("POST", path, headers, body, BodyMode.Slow), session.Id, "slow");
    }

    private void Authorize(List<KeyValuePair<string, string>> headers)
    {
        if (apiKey is null)
        {
            if (random.NextDouble() < 0.05) headers.Add(new("Authorization", Pick(["Bearer whatever", "Basic eDp5", "Bearer"])));
            return;
        }
        var value = random.NextDouble() switch
        {
            < 0.72 => $"Bearer {apiKey}",
            < 0.74 => $"bearer {apiKey}",
            < 0.76 => $"Bearer  {apiKey} ",
            < 0.80 => null,
            < 0.83 => "Bearer wrong",
            < 0.86 => $"Bearer {apiKey[..^1]}",
            < 0.89 => $"Bearer {apiKey}x",
            < 0.91 => "Bearer ",
            < 0.93 => $"Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes("user:" + apiKey))}",
            < 0.95 => apiKey,
            < 0.97 => "Bearer " + new string('k', 8 * 1024),
            _ => $"Bearer {apiKey.ToUpperInvariant()}",
        };
        if (value is not null) headers.Add(new("Authorization", value));
    }

    private (string Segment, string? Id) OddSegment()
    {
        // Every odd id carries the lane (no two lanes share a session) and a counter (a used one is never reused).
        var prefix = $"L{lane}.{_odd++}";
        var odd = random.Next(6) switch
        {
            0 => prefix + new string('x', SessionIds.MaxLength - prefix.Length),    // the longest valid id
            1 => prefix + new string('é', 64),
            _ => prefix + Pick(OddIds),
        };
        // Some are already escaped sequences: they stand for themselves in the URL (the server unescapes once).
        if (odd.Contains('%') && random.Next(2) == 0) return (odd, Uri.UnescapeDataString(odd));
        return (Uri.EscapeDataString(odd), odd);
    }

    private (string Segment, string? Id) InvalidSegment() => random.Next(4) switch
    {
        0 => (Uri.EscapeDataString($"L{lane}" + new string('y', SessionIds.MaxLength)), null),    // one character too many
        _ => ($"L{lane}" + Pick(InvalidIds), null),
    };

    /// <summary>The same meaning under another spelling: dot segments, absolute form, an empty query.</summary>
    private string Disguise(string path)
    {
        var roll = random.NextDouble();
        if (roll < 0.90) return path;
        var segments = path.Split('?')[0].Split('/');
        return roll switch
        {
            < 0.92 when segments.Length > 2 => "/sessions/" + $"L{lane}.decoy/../" + path["/sessions/".Length..],
            < 0.94 => "/x/.." + path,
            < 0.96 => $"http://127.0.0.1:{port}{path}",
            < 0.97 when segments.Length > 3 && segments[3].Length > 0 => path.Replace($"/{segments[3]}", $"/./{segments[3]}"),
            < 0.98 when path.StartsWith("/sessions/", StringComparison.Ordinal) => Pick(["/SESSIONS/", "/Sessions/"]) + path["/sessions/".Length..],
            _ => path.Contains('?') ? path + "&" : path + "?",
        };
    }

    private string CursorQuery() => random.Next(4) switch
    {
        0 => "",
        1 => $"?after={Cursor()}",
        2 => $"?after={Cursor()}&after={Cursor()}",
        _ => $"?after={random.Next(0, 50)}&x={Cursor()}",
    };

    /// <summary>A cursor as it may appear in a query string (a space is not valid in a request target: %20).</summary>
    private string Cursor() => Pick(Cursors).Replace(" ", "%20", StringComparison.Ordinal);

    private string RunId(FuzzSession session) => random.Next(12) switch
    {
        < 4 when session.CurrentRunId is not null => session.CurrentRunId,
        < 7 when session.StaleRunId is not null => session.StaleRunId,
        7 => Uri.EscapeDataString(new string('r', 129)),
        8 => Pick(["%00", "%0A", "r%09", "%7F"]),
        9 => Uri.EscapeDataString(Pick(["🎋", "a b", "x/y", "..x", "%", "run-1"])),
        _ => Guid.NewGuid().ToString(),
    };

    private byte[] RunsBody() => Mutate(random.Next(4) switch
    {
        0 => $$"""{"agent":"{{Pick(Agents)}}"}""",
        1 => $$"""{"agent":"{{Pick(Agents)}}","input":"{{Pick(["", "hi", "a b c", "\\u0000", "\\t"])}}","durationMs":{{random.Next(0, 50)}}}""",
        2 => $$"""{"agent":"sleep","durationMs":{{Pick(IntegerLiterals)}},"onConflict":"{{Pick(Policies)}}"}""",
        _ => $$"""{"agent":"echo","input":"x","onConflict":"{{Pick(Policies)}}"}""",
    });

    private byte[] ReservationBody() => Mutate(random.Next(3) switch
    {
        0 => "{}",
        1 => $$"""{"onConflict":"{{Pick(Policies)}}"}""",
        _ => $$"""{"onConflict":"{{Pick(Policies)}}","deadlineMs":{{Pick(IntegerLiterals)}}}""",
    });

    private byte[] EventBody() => Mutate(random.Next(6) switch
    {
        0 => """{"type":"token_delta","text":"x"}""",
        1 => """{"type":"tool_started","toolName":"search"}""",
        2 => $$"""{"type":"tool_lifecycle","toolName":"search","phase":"{{Pick(["begin", "finished", "error", "middle", "BEGIN"])}}"}""",
        3 => $$"""{"type":"runner_progress","roundCount":{{Pick(IntegerLiterals)}}}""",
        4 => $$"""{"type":"token_budget","used":{{Pick(IntegerLiterals)}},"limit":{{Pick(IntegerLiterals)}}}""",
        _ => $$"""{"type":"{{Pick(["execution_started", "execution_finished", "run_queued", "run_cancelling", "replay_gap", "", "TOKEN_DELTA"])}}"}""",
    });

    private byte[] FinalizeBody() => Mutate(random.Next(3) switch
    {
        0 => $$"""{"outcome":"{{Pick(Outcomes)}}"}""",
        1 => $$"""{"outcome":"error","error":"{{Pick(["boom", "", "\\u0000", "\\ud800"])}}"}""",
        _ => $$"""{"outcome":"{{Pick(["done", "Completed", "", "running", "pending"])}}"}""",
    });

    private byte[] CancelBody(FuzzSession session) => Mutate(random.Next(3) switch
    {
        0 => "{}",
        1 => $$"""{"runId":"{{session.StaleRunId ?? Guid.NewGuid().ToString()}}","reason":"fuzz"}""",
        _ => $$"""{"runId":{{Pick(["5", "null", "[]", "{}", "true", "\"\""])}}}""",
    });

    /// <summary>Most bodies leave here broken in some way; some stay as they came.</summary>
    private byte[] Mutate(string json)
    {
        if (random.NextDouble() < 0.12) return Json(json);
        return random.Next(16) switch
        {
            0 => Json(json[..random.Next(json.Length)]),                                            // truncated JSON
            1 => Insert(Encoding.UTF8.GetBytes(json), Pick<byte[]>([[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0x00], [0x1F], [0x7F], [0xFE, 0xFF]])),
            2 => Json(ReplaceValue(json, Pick(["123", "-1", "1.5", "1e400", "\"s\"", "true", "null", "[]", "{}", "\"\\u0000\"", "\"\\ud800\"", "\"" + new string('z', 5000) + "\""]))),
            3 => Json(DuplicateFirstKey(json)),
            4 => Json(Deep(random.Next(3) switch { 0 => 64, 1 => 65, _ => Pick([63, 1000, 100_000]) }, json)),
            5 => Json(Pick(["[]", "null", "42", "\"text\"", "true", "[{}]", "", " ", "{", "}", "{\"a\":}", "{'agent':'echo'}", "{\"agent\":\"echo\",}", "{\"agent\":\"echo\"} {}", "/* c */{}", "NaN", "{\"x\":Infinity}"])),
            6 => Sized(json, Pick([MiB - 1, MiB, MiB + 1, MiB - 1, MiB, MiB + 1, 2 * MiB])),
            7 => Json(json.Replace("\"", "\"\u0001", StringComparison.Ordinal)),                    // raw control characters
            8 => Json(json.Insert(json.Length - 1, ",\"extra\":{\"nested\":[1,2,{\"x\":null}]}")),
            9 => Json(json.Insert(1, "\"\\u0000key\":\"\\u0000\",")),
            10 => RandomBytes(random.Next(1, 300)),
            11 => [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(json)],                                // a byte order mark
            12 => Json(json.Replace(":", ": " + new string(' ', random.Next(1, 20)), StringComparison.Ordinal)),
            13 => Encoding.Unicode.GetBytes(json),                                                   // UTF-16
            14 => Json("{\"" + new string('k', random.Next(1000, 70_000)) + "\":1}"),
            _ => Json(json.Replace("{", "{\"agent\":\"echo\",\"agent\":\"sleep\",", StringComparison.Ordinal)),
        };
    }

    /// <summary>The JSON padded to exactly <paramref name="size"/> bytes: with trailing whitespace, or inside a field.</summary>
    private byte[] Sized(string json, int size)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        if (random.Next(2) == 0)
        {
            var padded = new byte[Math.Max(size, bytes.Length)];
            bytes.CopyTo(padded, 0);
            padded.AsSpan(bytes.Length).Fill((byte)' ');
            return padded;
        }
        var head = Encoding.UTF8.GetBytes(json[..^1] + (json.Length > 2 ? "," : "") + "\"padding\":\"");
        var tail = "\"}"u8.ToArray();
        var fill = Math.Max(0, size - head.Length - tail.Length);
        return [.. head, .. Enumerable.Repeat((byte)'p', fill), .. tail];
    }

    private string ReplaceValue(string json, string value)
    {
        var colon = json.IndexOf(':');
        if (colon < 0) return "{\"agent\":" + value + "}";
        var end = json.IndexOfAny([',', '}'], colon);
        return json[..(colon + 1)] + value + json[end..];
    }

    private static string DuplicateFirstKey(string json)
    {
        var colon = json.IndexOf(':');
        if (colon < 0) return "{\"a\":1,\"a\":2}";
        var end = json.IndexOfAny([',', '}'], colon);
        var pair = json[1..end];
        return "{" + pair + "," + json[1..];
    }

    private string Deep(int depth, string json)
    {
        var (open, close) = random.Next(2) == 0 ? ("[", "]") : ("{\"a\":", "}");
        var nested = new StringBuilder(depth * (open.Length + close.Length) + 2);
        for (var i = 0; i < depth; i++) nested.Append(open);
        nested.Append('1');
        for (var i = 0; i < depth; i++) nested.Append(close);
        return random.Next(2) == 0 ? nested.ToString() : ReplaceValue(json, nested.ToString());
    }

    private byte[] Insert(byte[] bytes, byte[] inserted)
    {
        var at = random.Next(bytes.Length + 1);
        return [.. bytes.AsSpan(0, at), .. inserted, .. bytes.AsSpan(at)];
    }

    private byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

    private T Pick<T>(IReadOnlyList<T> values) => values[random.Next(values.Count)];
}
