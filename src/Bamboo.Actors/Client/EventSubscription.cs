using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Akka.Actor;
using Bamboo.Actors.Events;

namespace Bamboo.Actors.Client;

/// <summary>
/// A session subscription read through a bounded channel. If the channel completes early it resubscribes: after the
/// consumer fell a whole buffer behind, from the last sequence read, so the consumer misses nothing that is still
/// retained and sees a <see cref="ReplayGap"/> for anything that is not; after the session's runner stopped (shard
/// hand-off, node loss), from the start of the session's next incarnation, whose sequences begin again at 1.
/// </summary>
internal sealed class EventSubscription : IEventSubscription
{
    private static readonly TimeSpan ReconnectBackoff = TimeSpan.FromMilliseconds(100);

    // A resubscription can go unanswered while the session moves to another node (its shard is being reallocated
    // after a node loss); a few attempts of AskTimeout each cover that window.
    private const int ReconnectAttempts = 3;

    private readonly RunnerClient _client;
    private long? _cursor;
    private Channel<AgentEvent> _channel = null!;
    private IActorRef _actor = ActorRefs.Nobody;
    private int _disposed;
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
        while (Volatile.Read(ref _disposed) == 0)
        {
            var readAny = false;
            await foreach (var evt in _channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                readAny = true;
                if (evt is not ReplayGap) _cursor = evt.Sequence;
                yield return evt;
            }
            if (Volatile.Read(ref _disposed) == 1) yield break;
            _client.System.Stop(_actor);
            // The runner that numbered the events read so far is gone; its successor numbers from 1 again, so the
            // old cursor would skip (or misplace) the new incarnation's events: read that one from its start.
            if (Interlocked.Exchange(ref _runnerLost, 0) == 1) _cursor = 0;
            if (!readAny) await Task.Delay(ReconnectBackoff, cancellationToken).ConfigureAwait(false);
            await ReconnectAsync(cancellationToken).ConfigureAwait(false);
        }
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
    }
}
