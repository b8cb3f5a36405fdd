namespace Bamboo.Actors.Protocol;

/// <summary>
/// How an executor says its run ended. Build one with <see cref="Completed"/>, <see cref="Cancelled"/>,
/// <see cref="Failed"/> or, from a caught exception, <see cref="FromException"/>.
/// </summary>
public sealed record RunOutcome
{
    private RunOutcome(RunStatus status, string? error)
    {
        Status = status;
        Error = error;
    }

    /// <summary>The terminal status the run ends with.</summary>
    public RunStatus Status { get; }

    /// <summary>The error message, for <see cref="RunStatus.Error"/> only.</summary>
    public string? Error { get; }

    /// <summary>The run succeeded.</summary>
    public static RunOutcome Completed { get; } = new(RunStatus.Completed, null);

    /// <summary>The run stopped because it was cancelled.</summary>
    public static RunOutcome Cancelled { get; } = new(RunStatus.Cancelled, null);

    /// <summary>The run failed with <paramref name="error"/>.</summary>
    public static RunOutcome Failed(string error) => new(RunStatus.Error, error ?? "");

    /// <summary>
    /// Maps an execution result: <see cref="OperationCanceledException"/> (including
    /// <see cref="TaskCanceledException"/>) means <see cref="RunStatus.Cancelled"/>; anything else is
    /// <see cref="RunStatus.Error"/> with the exception's message. Aggregates of only cancellations count as cancelled.
    /// </summary>
    public static RunOutcome FromException(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return IsCancellation(exception) ? Cancelled : Failed(exception.Message);
    }

    /// <summary>Rebuilds an outcome from its parts (used by serializers and the HTTP layer).</summary>
    /// <exception cref="ArgumentException">The status is not terminal.</exception>
    public static RunOutcome Of(RunStatus status, string? error = null) => status switch
    {
        RunStatus.Completed => Completed,
        RunStatus.Cancelled => Cancelled,
        RunStatus.Error => Failed(error ?? ""),
        _ => throw new ArgumentException($"An outcome must be terminal, not {status}.", nameof(status)),
    };

    private static bool IsCancellation(Exception exception) => exception switch
    {
        OperationCanceledException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsCancellation),
        _ => false,
    };
}
