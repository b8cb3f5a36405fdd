using System.Net.ServerSentEvents;
using System.Text.Json;

namespace Bamboo.Actors.TestSupport.Sse;

/// <summary>One Server-Sent Events item as a client sees it, parsed by <see cref="SseParser"/>.</summary>
public sealed record SseFrame(string? Id, string Event, string Data)
{
    public JsonElement Json => JsonDocument.Parse(Data).RootElement;

    public long Sequence => long.Parse(Id!);
}

/// <summary>
/// A real HTTP client reading an SSE response item by item through the framework's <see cref="SseParser"/>.
/// Comments (keep-alives) never reach it; a spec about them reads the raw response.
/// </summary>
public sealed class SseClient : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly IAsyncEnumerator<SseItem<string>> _items;

    private SseClient(HttpResponseMessage response, Stream stream)
    {
        _response = response;
        _items = SseParser.Create(stream).EnumerateAsync(_lifetime.Token).GetAsyncEnumerator(_lifetime.Token);
    }

    public HttpResponseMessage Response => _response;

    public static async Task<SseClient> ConnectAsync(HttpClient http, string path, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return new SseClient(response, await response.Content.ReadAsStreamAsync());
    }

    /// <summary>The next event, or null when the stream ended; a <see cref="TimeoutException"/> after <paramref name="seconds"/>.</summary>
    public async Task<SseFrame?> NextAsync(double seconds = 10)
    {
        if (!await _items.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(seconds))) return null;
        var item = _items.Current;
        return new SseFrame(item.EventId, item.EventType, item.Data);
    }

    /// <summary>The next event; fails when the stream ended.</summary>
    public async Task<SseFrame> NextEventAsync(double seconds = 10) =>
        await NextAsync(seconds) ?? throw new InvalidOperationException("the event stream ended");

    /// <summary>Reads to the end of the stream and returns the events seen.</summary>
    public async Task<List<SseFrame>> RemainingEventsAsync(double seconds = 10)
    {
        var frames = new List<SseFrame>();
        while (await NextAsync(seconds) is { } frame) frames.Add(frame);
        return frames;
    }

    /// <summary>Reads events up to and including the first of <paramref name="type"/>.</summary>
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

    public async ValueTask DisposeAsync()
    {
        await _lifetime.CancelAsync();
        _response.Dispose();
        try
        {
            await _items.DisposeAsync();
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException or ObjectDisposedException
                                              or NotSupportedException or InvalidOperationException)
        {
            // The response was closed under a read that timed out and is still pending.
        }
        _lifetime.Dispose();
    }
}
