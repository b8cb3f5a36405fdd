using Bamboo.Actors.Client;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;

namespace Bamboo.Actors.Server.Agents;

/// <summary>
/// The built-in demo agents. They run through <see cref="IRunnerClient.StartAsync"/> exactly like an embedded user's
/// work, so cancellation, events and finalization take the same path.
/// </summary>
internal static class DemoAgents
{
    public static readonly IReadOnlySet<string> Names = new HashSet<string>(StringComparer.Ordinal) { "echo", "sleep", "fail" };

    /// <summary>The work of agent <paramref name="name"/> for <paramref name="input"/>.</summary>
    public static Func<RunContext, CancellationToken, Task> Create(string name, string input, TimeSpan duration) => name switch
    {
        "echo" => (run, token) => EchoAsync(run, input, token),
        "sleep" => (run, token) => SleepAsync(run, duration, token),
        "fail" => (run, token) => FailAsync(run, input, token),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown agent"),
    };

    /// <summary>Streams the input back as token deltas around one tool call, then completes.</summary>
    private static async Task EchoAsync(RunContext run, string input, CancellationToken token)
    {
        await run.PublishAsync(new ToolStarted("echo"));
        await run.PublishAsync(new TokenBudget(input.Length, 4096));
        await run.PublishAsync(new ToolLifecycle("echo", ToolPhase.Finished));
        foreach (var piece in Tokens(input))
        {
            token.ThrowIfCancellationRequested();
            await run.PublishAsync(new TokenDelta(piece));
            await Task.Delay(5, token);
        }
        await run.PublishAsync(new RunnerProgress(1));
    }

    /// <summary>Waits, honouring cancellation.</summary>
    private static async Task SleepAsync(RunContext run, TimeSpan duration, CancellationToken token)
    {
        await run.PublishAsync(new RunnerProgress(0));
        await Task.Delay(duration, token);
        await run.PublishAsync(new RunnerProgress(1));
    }

    /// <summary>Starts a tool call that fails, then ends the run as an error.</summary>
    private static async Task FailAsync(RunContext run, string input, CancellationToken token)
    {
        await run.PublishAsync(new ToolStarted("fail"));
        await Task.Yield();
        token.ThrowIfCancellationRequested();
        await run.PublishAsync(new ToolLifecycle("fail", ToolPhase.Error));
        throw new InvalidOperationException(string.IsNullOrEmpty(input) ? "the fail agent failed" : $"the fail agent failed: {input}");
    }

    /// <summary>Splits text into words, each keeping its trailing whitespace, so the deltas concatenate to the input.</summary>
    private static IEnumerable<string> Tokens(string input)
    {
        var start = 0;
        for (var i = 1; i <= input.Length; i++)
        {
            if (i == input.Length || (char.IsWhiteSpace(input[i - 1]) && !char.IsWhiteSpace(input[i])))
            {
                yield return input[start..i];
                start = i;
            }
        }
    }
}
