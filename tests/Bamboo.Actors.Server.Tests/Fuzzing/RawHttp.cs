using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Bamboo.Actors.Server.Tests.Fuzzing;

/// <summary>How a request's body goes on the wire.</summary>
public enum BodyMode
{
    /// <summary>All of it, with its Content-Length.</summary>
    Whole,
    /// <summary>Transfer-Encoding: chunked, well formed.</summary>
    Chunked,
    /// <summary>A Content-Length larger than what is sent; then the client stops sending (half-close).</summary>
    Truncated,
    /// <summary>All of it, a few bytes at a time over about a second.</summary>
    Slow,
    /// <summary>Transfer-Encoding: chunked with a chunk size that is not hexadecimal.</summary>
    BadChunked,
}

/// <summary>
/// A request exactly as it goes on the wire: method, request target (raw, already escaped as intended), headers and body.
/// Framing headers (Host, Content-Length, Transfer-Encoding) are added by <see cref="RawHttpConnection"/> per <see cref="Mode"/>.
/// </summary>
public sealed record RawRequest(string Method, string Target, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[]? Body,
    BodyMode Mode = BodyMode.Whole)
{
    /// <summary>The request for a failure report: method, target, headers and an excerpt of the body.</summary>
    public string Describe()
    {
        var text = new StringBuilder().Append(Method).Append(' ').Append(Target);
        if (Mode != BodyMode.Whole) text.Append(" [body ").Append(Mode).Append(']');
        foreach (var (name, value) in Headers) text.Append("\n  ").Append(name).Append(": ").Append(Excerpt(value, 160));
        if (Body is not null) text.Append("\n  body (").Append(Body.Length).Append(" bytes): ").Append(Excerpt(Body, 300));
        return text.ToString();
    }

    public static string Excerpt(byte[] bytes, int max)
    {
        var shown = Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, max));
        return Excerpt(shown, max) + (bytes.Length > max ? "…" : "");
    }

    public static string Excerpt(string text, int max)
    {
        var builder = new StringBuilder();
        foreach (var c in text.Length > max ? text[..max] : text)
            builder.Append(char.IsControl(c) ? $"\\u{(int)c:X4}" : c.ToString());
        return builder.ToString() + (text.Length > max ? "…" : "");
    }
}

/// <summary>A response as read from the wire.</summary>
public sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string? MediaType => Headers.TryGetValue("content-type", out var type) ? type.Split(';')[0].Trim() : null;

    public string Describe() =>
        $"{Status} {MediaType ?? "(no content type)"} {RawRequest.Excerpt(Body, 300)}";
}

/// <summary>
/// A minimal HTTP/1.1 client on one TCP connection, for requests no ordinary client sends: exact request targets (dot
/// segments, absolute form, odd escapes), bodies that stop early, trickle in or have broken chunk framing. Reuses the
/// connection (keep-alive) while the server allows it.
/// </summary>
public sealed class RawHttpConnection : IDisposable
{
    private const int MaxResponseBytes = 4 * 1024 * 1024;
    private static readonly TimeSpan StreamSample = TimeSpan.FromMilliseconds(150);

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly string _host;
    private readonly byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    private RawHttpConnection(Socket socket, int port)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _host = $"127.0.0.1:{port}";
    }

    /// <summary>Whether another request may be sent on this connection.</summary>
    public bool Reusable { get; private set; } = true;

    /// <summary>Whether a request has been sent on this connection already.</summary>
    public bool Used { get; private set; }

    public static async Task<RawHttpConnection> OpenAsync(int port, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new RawHttpConnection(socket, port);
    }

    /// <summary>
    /// Sends <paramref name="request"/> and reads its response; null when the server closed the connection without one.
    /// An event stream's body is sampled briefly (it never ends), then the connection is given up.
    /// </summary>
    public async Task<RawResponse?> SendAsync(RawRequest request, CancellationToken cancellationToken)
    {
        Reusable = false;
        Used = true;
        try
        {
            await WriteAsync(request, cancellationToken);
        }
        catch (IOException)
        {
            // The server may answer before it has read the whole body (413, 405 with a body it will not read) and close:
            // its answer may still be there to read.
        }
        while (true)
        {
            var statusLine = await ReadLineAsync(cancellationToken);
            if (statusLine is null) return null;
            var parts = statusLine.Split(' ', 3);
            if (parts.Length < 2 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status))
                throw new InvalidDataException($"not an HTTP status line: '{RawRequest.Excerpt(statusLine, 200)}'");
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            while (await ReadLineAsync(cancellationToken) is { Length: > 0 } line)
            {
                var colon = line.IndexOf(':');
                if (colon > 0) headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
            if (status is >= 100 and < 200) continue;    // 100 Continue: the final answer follows

            var body = await ReadBodyAsync(request, status, headers, cancellationToken);
            Reusable = Reusable && !(headers.TryGetValue("connection", out var connection)
                && connection.Contains("close", StringComparison.OrdinalIgnoreCase)) && request.Mode is BodyMode.Whole or BodyMode.Chunked;
            return new RawResponse(status, headers, body);
        }
    }

    public void Dispose() => _stream.Dispose();

    private async Task WriteAsync(RawRequest request, CancellationToken cancellationToken)
    {
        var head = new StringBuilder().Append(request.Method).Append(' ').Append(request.Target).Append(" HTTP/1.1\r\n");
        head.Append("Host: ").Append(_host).Append("\r\n");
        foreach (var (name, value) in request.Headers) head.Append(name).Append(": ").Append(value).Append("\r\n");
        var body = request.Body;
        switch (request.Mode)
        {
            case BodyMode.Whole or BodyMode.Slow when body is not null:
                head.Append("Content-Length: ").Append(body.Length).Append("\r\n");
                break;
            case BodyMode.Truncated:
                head.Append("Content-Length: ").Append((body?.Length ?? 0) + 1 + (body?.Length ?? 0) / 2).Append("\r\n");
                break;
            case BodyMode.Chunked or BodyMode.BadChunked:
                head.Append("Transfer-Encoding: chunked\r\n");
                break;
        }
        head.Append("\r\n");
        await _stream.WriteAsync(Encoding.Latin1.GetBytes(head.ToString()), cancellationToken);
        body ??= [];
        switch (request.Mode)
        {
            case BodyMode.Whole:
            case BodyMode.Truncated:
                await _stream.WriteAsync(body, cancellationToken);
                if (request.Mode == BodyMode.Truncated) _socket.Shutdown(SocketShutdown.Send);
                break;
            case BodyMode.Slow:
                // At most ten pieces, 100 ms apart: about a second, well within Kestrel's minimum data rate grace.
                var piece = Math.Max(1, (body.Length + 9) / 10);
                for (var offset = 0; offset < body.Length; offset += piece)
                {
                    await _stream.WriteAsync(body.AsMemory(offset, Math.Min(piece, body.Length - offset)), cancellationToken);
                    await Task.Delay(100, cancellationToken);
                }
                break;
            case BodyMode.Chunked:
                for (var offset = 0; offset < body.Length; offset += 4096)
                {
                    var length = Math.Min(4096, body.Length - offset);
                    await _stream.WriteAsync(Encoding.ASCII.GetBytes($"{length:x}\r\n"), cancellationToken);
                    await _stream.WriteAsync(body.AsMemory(offset, length), cancellationToken);
                    await _stream.WriteAsync("\r\n"u8.ToArray(), cancellationToken);
                }
                await _stream.WriteAsync("0\r\n\r\n"u8.ToArray(), cancellationToken);
                break;
            case BodyMode.BadChunked:
                await _stream.WriteAsync(Encoding.ASCII.GetBytes($"{Math.Min(body.Length, 16):x}\r\n"), cancellationToken);
                await _stream.WriteAsync(body.AsMemory(0, Math.Min(body.Length, 16)), cancellationToken);
                // The connection stays open: the server reads the broken chunk size, not the end of the connection.
                await _stream.WriteAsync("\r\nzz\r\n"u8.ToArray(), cancellationToken);
                break;
        }
    }

    private async Task<byte[]> ReadBodyAsync(RawRequest request, int status, Dictionary<string, string> headers, CancellationToken cancellationToken)
    {
        Reusable = true;
        if (request.Method == "HEAD" || status is 204 or 304) return [];
        if (headers.TryGetValue("content-type", out var type) && type.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            // A live stream: take what comes in a moment (the replay), then hang up.
            Reusable = false;
            using var sample = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            sample.CancelAfter(StreamSample);
            var sampled = new MemoryStream();
            try
            {
                while (sampled.Length < 64 * 1024 && await ReadSomeAsync(sample.Token) is { Length: > 0 } chunk) sampled.Write(chunk);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Sampled long enough.
            }
            return sampled.ToArray();
        }
        if (headers.TryGetValue("transfer-encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            var body = new MemoryStream();
            while (true)
            {
                var sizeLine = await ReadLineAsync(cancellationToken) ?? throw new EndOfStreamException("the chunked body ended early");
                var size = int.Parse(sizeLine.Split(';')[0].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    while (await ReadLineAsync(cancellationToken) is { Length: > 0 })
                    {
                        // Trailers.
                    }
                    return body.ToArray();
                }
                if (body.Length + size > MaxResponseBytes) throw new InvalidDataException("response body over 4 MiB");
                body.Write(await ReadExactlyAsync(size, cancellationToken));
                await ReadLineAsync(cancellationToken);
            }
        }
        if (headers.TryGetValue("content-length", out var lengthText))
        {
            var length = int.Parse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture);
            if (length > MaxResponseBytes) throw new InvalidDataException("response body over 4 MiB");
            return await ReadExactlyAsync(length, cancellationToken);
        }
        // Neither: the body runs to the end of the connection.
        Reusable = false;
        var rest = new MemoryStream();
        while (await ReadSomeAsync(cancellationToken) is { Length: > 0 } chunk)
        {
            rest.Write(chunk);
            if (rest.Length > MaxResponseBytes) throw new InvalidDataException("response body over 4 MiB");
        }
        return rest.ToArray();
    }

    private async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new MemoryStream();
        while (true)
        {
            if (_start == _end && !await FillAsync(cancellationToken))
                return line.Length == 0 ? null : throw new EndOfStreamException("the connection closed mid-line");
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline < 0)
            {
                line.Write(_buffer, _start, _end - _start);
                _start = _end;
                if (line.Length > 64 * 1024) throw new InvalidDataException("response line over 64 KiB");
                continue;
            }
            line.Write(_buffer, _start, newline - _start);
            _start = newline + 1;
            var text = Encoding.Latin1.GetString(line.GetBuffer(), 0, (int)line.Length);
            return text.EndsWith('\r') ? text[..^1] : text;
        }
    }

    private async Task<byte[]> ReadExactlyAsync(int length, CancellationToken cancellationToken)
    {
        var result = new byte[length];
        var filled = 0;
        while (filled < length)
        {
            if (_start == _end && !await FillAsync(cancellationToken)) throw new EndOfStreamException("the body ended early");
            var take = Math.Min(length - filled, _end - _start);
            Array.Copy(_buffer, _start, result, filled, take);
            _start += take;
            filled += take;
        }
        return result;
    }

    private async Task<byte[]> ReadSomeAsync(CancellationToken cancellationToken)
    {
        if (_start == _end && !await FillAsync(cancellationToken)) return [];
        var chunk = _buffer[_start.._end];
        _start = _end;
        return chunk;
    }

    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        _start = 0;
        _end = 0;
        try
        {
            _end = await _stream.ReadAsync(_buffer, cancellationToken);
        }
        catch (IOException exception) when (exception.InnerException is SocketException)
        {
            return false;    // reset by the server: the same as a close here
        }
        return _end > 0;
    }
}
