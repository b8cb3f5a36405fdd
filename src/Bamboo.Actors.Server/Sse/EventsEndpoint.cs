using Bamboo.Actors.Client;
using Bamboo.Actors.Events;
using Bamboo.Actors.Server.Api;
using Bamboo.Actors.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace Bamboo.Actors.Server.Sse;

/// <summary>
/// <c>GET /sessions/{id}/events</c>: the session's events as Server-Sent Events. The subscription is live before the
/// response headers go out, so a client that has seen the headers misses nothing published afterwards. A cursor
/// (<c>Last-Event-ID</c>, else <c>?after=</c>) resumes after that sequence, with a <c>replay_gap</c> event when some were
/// evicted; without one, the latest budget and critical events are replayed. Ends when the client disconnects or the
/// server shuts down; the subscription is released either way.
/// </summary>
internal static class EventsEndpoint
{
    private const int MaxEventsPerFlush = 256;

    public static async Task StreamAsync(HttpContext context, IRunnerClient runners, ServerLifecycle lifecycle,
        IOptions<BambooServerOptions> options)
    {
        if (!TryReadCursor(context.Request, out var cursor, out var problem))
        {
            await ApiResults.BadRequest("invalid_cursor", problem!).ExecuteAsync(context);
            return;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifecycle.StreamsClosing);
        await using var subscription = await runners.OpenSubscriptionAsync(context.SessionId(), cursor, context.RequestAborted);
        if (subscription.Status != SubscriptionStatus.Live)
        {
            await (subscription.Status == SubscriptionStatus.Invalid
                ? ApiResults.BadRequest("invalid_command", subscription.Reason ?? "invalid subscription")
                : ApiResults.Unavailable(subscription.Reason)).ExecuteAsync(context);
            return;
        }

        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.StartAsync(context.RequestAborted);

        var writer = new SseEventWriter(response.BodyWriter);
        var keepAlive = options.Value.KeepAliveInterval;
        try
        {
            do
            {
                // Write what is buffered (up to a bound), then flush once: a burst of events costs one network write.
                for (var written = 0; written < MaxEventsPerFlush && subscription.TryRead(out var evt); written++) writer.Write(evt);
                await writer.FlushAsync(stop.Token);
            }
            while (await WaitWithKeepAliveAsync(subscription, writer, keepAlive, stop.Token));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The client went away or the server is closing streams.
        }
    }

    private static async Task<bool> WaitWithKeepAliveAsync(IEventSubscription subscription, SseEventWriter writer,
        TimeSpan keepAlive, CancellationToken cancellationToken)
    {
        var wait = subscription.WaitToReadAsync(cancellationToken);
        if (wait.IsCompleted) return await wait;
        var pending = wait.AsTask();
        while (true)
        {
            try
            {
                return await pending.WaitAsync(keepAlive, cancellationToken);
            }
            catch (TimeoutException)
            {
                writer.WriteKeepAlive();
                await writer.FlushAsync(cancellationToken);
            }
        }
    }

    private static bool TryReadCursor(HttpRequest request, out long? cursor, out string? problem)
    {
        cursor = null;
        problem = null;
        // The header wins: it is what a reconnecting EventSource sends.
        string? text = request.Headers["Last-Event-ID"].FirstOrDefault();
        var source = "Last-Event-ID";
        if (string.IsNullOrEmpty(text))
        {
            text = request.Query["after"].FirstOrDefault();
            source = "after";
        }
        if (string.IsNullOrEmpty(text)) return true;
        if (long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value))
        {
            cursor = value;
            return true;
        }
        problem = $"{source} must be a non-negative integer sequence; got '{text}'";
        return false;
    }
}
