using System.Text.Json;

namespace Bamboo.Actors.Server.Tests;

/// <summary>One Server-Sent Events frame as a client sees it.</summary>
public sealed record SseFrame(string? Id, string? Event, string? Data, string? Comment)
{
    public JsonElement Json => JsonDocument.Parse(Data!).RootElement;

    public long Sequence => long.Parse(Id!);
}

/// <summary>A real HTTP client reading an SSE response frame by frame.</summary>
public sealed class SseClient : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseClient(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public HttpResponseMessage Response => _response;

    public static async Task<SseClient> ConnectAsync(HttpClient http, string path, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        return new SseClient(response, new StreamReader(stream));
    }

    /// <summary>The next frame, or null when the stream ended.</summary>
    public async Task<SseFrame?> NextAsync(double seconds = 10)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        string? id = null, type = null, data = null, comment = null;
        while (await _reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.Length == 0)
            {
                if (id is null && type is null && data is null && comment is null) continue;
                return new SseFrame(id, type, data, comment);
            }
            if (line.StartsWith(':')) comment = line[1..].Trim();
            else if (line.StartsWith("id: ")) id = line[4..];
            else if (line.StartsWith("event: ")) type = line[7..];
            else if (line.StartsWith("data: ")) data = line[6..];
        }
        return null;
    }

    /// <summary>The next frame that is an event (keep-alive comments skipped).</summary>
    public async Task<SseFrame> NextEventAsync(double seconds = 10)
    {
        while (true)
        {
            var frame = await NextAsync(seconds) ?? throw new InvalidOperationException("the event stream ended");
            if (frame.Comment is null) return frame;
        }
    }

    /// <summary>Reads to the end of the stream and returns the events seen (keep-alive comments skipped).</summary>
    public async Task<List<SseFrame>> RemainingEventsAsync(double seconds = 10)
    {
        var frames = new List<SseFrame>();
        while (await NextAsync(seconds) is { } frame)
        {
            if (frame.Comment is null) frames.Add(frame);
        }
        return frames;
    }

    public async Task<List<SseFrame>> EventsUntilAsync(string type, double seconds = 10)
    {
        var frames = new List<SseFrame>();
        while (true)
        {
            var frame = await NextEventAsync(seconds);
            frames.Add(frame);
            if (frame.Event == type) return frames;
        }
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
