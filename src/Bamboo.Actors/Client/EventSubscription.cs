using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Akka.Actor;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerCommands;

namespace Bamboo.Actors.Client;

/// <summary>
/// A session subscription read through a bounded channel: the reader's handle on a <see cref="SubscriptionActor"/>, which
/// owns the subscription (cursor, resubscription after a runner's loss or a slow reader) and is the only writer of the
/// channel and of what this handle shows.
/// </summary>
internal sealed class EventSubscription : IEventSubscription
{
    private readonly Channel<AgentEvent> _channel;
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _resumeAt;
    private IActorRef _actor = ActorRefs.Nobody;
    private int _paused;
    private int _disposed;
    private long _lastSequence;
    private int _status = (int)SubscriptionStatus.Live;
    private string? _reason;

    private EventSubscription(string sessionId, int buffer)
    {
        SessionId = sessionId;
        _channel = Channel.CreateBounded<AgentEvent>(new BoundedChannelOptions(buffer)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _resumeAt = buffer / 2;
    }

    public string SessionId { get; }

    public long LastSequence => Volatile.Read(ref _lastSequence);

    public SubscriptionStatus Status => (SubscriptionStatus)Volatile.Read(ref _status);

    public string? Reason => Volatile.Read(ref _reason);

    /// <summary>Whether the actor waits for the reader to catch up before subscribing again.</summary>
    internal bool IsPaused => Volatile.Read(ref _paused) == 1;

    public static async Task<IEventSubscription> OpenAsync(RunnerClient client, string sessionId, long? afterSequence,
        CancellationToken cancellationToken)
    {
        var subscription = new EventSubscription(sessionId, client.Settings.SubscriptionBuffer);
        // Validated here with the runner's own rules, so nothing is sent for a malformed request.
        if (RunnerCommandValidator.Validate(new Subscribe(sessionId, ActorRefs.Nobody, afterSequence)) is { } problem)
        {
            subscription.Closed(SubscriptionStatus.Invalid, problem);
            return subscription;
        }
        if (client.System.WhenTerminated.IsCompleted)
        {
            subscription.Closed(SubscriptionStatus.Unavailable, RunnerClient.Terminated);
            return subscription;
        }
        subscription._actor = client.System.ActorOf(SubscriptionActor.Props(subscription, client.Supervisor, subscription._channel.Writer,
            afterSequence, client.Settings.AskTimeout));
        try
        {
            await subscription._opened.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
            throw;
        }
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
        if (Volatile.Read(ref _paused) == 1) ResumeWhenCaughtUp(fromReader: true);
        return true;
    }

    public async ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _disposed) == 1) return false;
        if (Volatile.Read(ref _paused) == 1) ResumeWhenCaughtUp(fromReader: true);
        return await _channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false) && Volatile.Read(ref _disposed) == 0;
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _actor.Tell(PoisonPill.Instance);
            _channel.Writer.TryComplete();
        }
        return ValueTask.CompletedTask;
    }

    // Written by the subscription's actor only, one message at a time.

    /// <summary>The session answered a subscription: the first answer opens this subscription.</summary>
    internal void Opened(long lastSequence)
    {
        if (_opened.Task.IsCompleted) return;
        Volatile.Write(ref _lastSequence, lastSequence);
        _opened.TrySetResult();
    }

    /// <summary>No further events will arrive: the subscription is <paramref name="status"/> (unless it was disposed).</summary>
    internal void Closed(SubscriptionStatus status, string reason)
    {
        if (Volatile.Read(ref _disposed) == 0 && Status == SubscriptionStatus.Live)
        {
            Volatile.Write(ref _reason, reason);
            Volatile.Write(ref _status, (int)status);
        }
        _channel.Writer.TryComplete();
        _opened.TrySetResult();
    }

    /// <summary>The channel is full: the actor has unsubscribed and subscribes again once the reader has read half of it.</summary>
    internal void Pause()
    {
        Interlocked.Exchange(ref _paused, 1);
        // The reader may have caught up between the failed write and the flag: then nothing would wake the actor.
        ResumeWhenCaughtUp(fromReader: false);
    }

    /// <summary>Claims the resumption when the reader has caught up; from the reader, tells the actor (which, from its
    /// own thread, reads <see cref="IsPaused"/> instead).</summary>
    private void ResumeWhenCaughtUp(bool fromReader)
    {
        if (_channel.Reader.Count > _resumeAt || Interlocked.Exchange(ref _paused, 0) == 0) return;
        if (fromReader) _actor.Tell(SubscriptionActor.Resume.Instance);
    }
}
