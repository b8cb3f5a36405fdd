using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Akka.Actor;
using Bamboo.Actors.Events;

namespace Bamboo.Actors.Client;

/// <summary>
/// A session subscription read through a bounded channel. If the channel completes early — the consumer fell a whole
/// buffer behind, or the session's runner stopped — it resubscribes after the last sequence read, so the consumer
/// misses nothing that is still retained and sees a <see cref="ReplayGap"/> for anything that is not.
/// </summary>
internal sealed class EventSubscription : IEventSubscription
{
    private static readonly TimeSpan ReconnectBackoff = TimeSpan.FromMilliseconds(100);
    private const int ReconnectAttempts = 3;

    private readonly RunnerClient _client;
    private long? _cursor;
    private Channel<AgentEvent> _channel = null!;
    private IActorRef _actor = ActorRefs.Nobody;
    private int _disposed;
    private bool _readSinceConnect;
    private int _runnerLost;

    private EventSubscription(RunnerClient client, string sessionId, long? afterSequence)
    {
        _client = client;
        SessionId = sessionId;
        _cursor = afterSequence;
    }

    public string SessionId { get; }

    public long LastSequence { get; private set; }

    public static async Task<EventSubscription> OpenAsync(RunnerClient client, string sessionId, long? afterSequence,
        CancellationToken cancellationToken)
    {
        var subscription = new EventSubscription(client, sessionId, afterSequence);
        await subscription.ConnectAsync(cancellationToken).ConfigureAwait(false);
        return subscription;
    }

    public async IAsyncEnumerable<AgentEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (TryRead(out var evt)) yield return evt;
        }
    }

    public bool TryRead([MaybeNullWhen(false)] out AgentEvent evt)
    {
        if (!_channel.Reader.TryRead(out evt)) return false;
        _readSinceConnect = true;
        if (evt is not ReplayGap) _cursor = evt.Sequence;
        return true;
    }

    public async ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        while (Volatile.Read(ref _disposed) == 0)
        {
            if (await _channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false)) return true;
            if (Volatile.Read(ref _disposed) == 1) break;
            // The channel completed early (slow consumer, or the runner stopped: hand-off, node loss): resume after the last
            // event read. A durable session keeps numbering across incarnations; an in-memory session's next incarnation
            // numbers from 1 again, so after losing its runner the old cursor would skip the new events: read from the start.
            _client.System.Stop(_actor);
            if (Interlocked.Exchange(ref _runnerLost, 0) == 1 && !_client.DurableSessions) _cursor = 0;
            if (!_readSinceConnect) await Task.Delay(ReconnectBackoff, cancellationToken).ConfigureAwait(false);
            await ReconnectAsync(cancellationToken).ConfigureAwait(false);
        }
        return false;
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _client.System.Stop(_actor);
            _channel.Writer.TryComplete();
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Connects again, retrying a few times: while a shard moves, a subscription request can go unanswered.</summary>
    private async Task ReconnectAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await ConnectAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (TimeoutException) when (attempt < ReconnectAttempts && Volatile.Read(ref _disposed) == 0)
            {
                await Task.Delay(ReconnectBackoff, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<AgentEvent>(new BoundedChannelOptions(_client.Settings.SubscriptionBuffer)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var subscribed = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var actor = _client.System.ActorOf(SubscriptionActor.Props(SessionId, _cursor, _client.Supervisor, channel.Writer, subscribed,
            () => Volatile.Write(ref _runnerLost, 1)));
        try
        {
            LastSequence = await subscribed.Task.WaitAsync(_client.Settings.AskTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _client.System.Stop(actor);
            throw;
        }
        _channel = channel;
        _actor = actor;
        _readSinceConnect = false;
    }
}
