using Akka.Actor;

namespace Bamboo.Actors.TestSupport;

/// <summary>Bounded waits for conditions that other nodes make true.</summary>
public static class Eventually
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Waits until <paramref name="condition"/> holds; fails after <paramref name="timeout"/>.</summary>
    public static async Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!condition())
        {
            if (deadline.IsCancellationRequested) throw new TimeoutException($"Not {what} within {timeout}.");
            await Task.Delay(PollInterval);
        }
    }

    /// <summary>Polls <paramref name="probe"/> until it yields a value; fails after <paramref name="bound"/>.</summary>
    public static async Task<T> ValueAsync<T>(string what, TimeSpan bound, Func<CancellationToken, Task<T?>> probe) where T : struct
    {
        using var deadline = new CancellationTokenSource(bound);
        try
        {
            while (true)
            {
                if (await probe(deadline.Token) is { } value) return value;
                await Task.Delay(PollInterval, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"Not {what} within {bound.TotalSeconds:F0} s.");
        }
    }

    /// <summary>
    /// Asks <paramref name="target"/> until it answers with a <typeparamref name="T"/>, each ask bounded by
    /// <paramref name="attemptTimeout"/> (default 2 s) and retried on its own; fails after <paramref name="timeout"/>.
    /// Only for messages that are safe to repeat.
    /// </summary>
    public static async Task<T> AnswerAsync<T>(IActorRef target, object message, TimeSpan timeout, TimeSpan? attemptTimeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            try
            {
                return await target.Ask<T>(message, attemptTimeout ?? TimeSpan.FromSeconds(2), deadline.Token);
            }
            catch (AskTimeoutException) when (!deadline.IsCancellationRequested)
            {
                // Not routed yet (coordinator or shard home still settling): ask again.
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"{target.Path} did not answer {message} within {timeout}.");
            }
        }
    }
}
