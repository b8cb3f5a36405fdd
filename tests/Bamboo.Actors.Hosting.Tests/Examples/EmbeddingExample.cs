using Akka.Hosting;
using Bamboo.Actors.Client;
using Bamboo.Actors.Events;
using Bamboo.Actors.Hosting;
using Bamboo.Actors.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace MyService;

public static class AgentHosting
{
    // In Program.cs: builder.Services.AddAgentRuns();
    public static IServiceCollection AddAgentRuns(this IServiceCollection services)
    {
        services.AddAkka("agents", (akka, sp) => akka
            .ConfigureLoggers(loggers => loggers.ClearLoggers().AddLoggerFactory())
            .WithBambooRunners(options => options.DefaultDeadline = TimeSpan.FromMinutes(10)));
        services.AddBambooRunnerClient();
        services.AddSingleton<ChatAgent>();
        return services;
    }
}

public sealed class ChatAgent(IRunnerClient runners)
{
    // The simple way: reserve, run, finalize (success → completed, cancellation → cancelled, exception → error).
    public Task<RunResult> AnswerAsync(string sessionId, string question, CancellationToken cancellationToken) =>
        runners.RunAsync(sessionId, async (run, token) =>
        {
            await run.PublishAsync(new ToolStarted("search"));
            await Task.Delay(10, token);                                   // the agent's real work goes here
            await run.PublishAsync(new ToolLifecycle("search", ToolPhase.Finished));
            foreach (var word in question.Split(' '))
                await run.PublishAsync(new TokenDelta(word + " "));
            await run.PublishAsync(new RunnerProgress(1));
        }, new ReserveOptions { OnConflict = ConflictPolicy.Enqueue }, cancellationToken);

    // The explicit way: hold the lease yourself. Its token fires on cancel, interrupt or deadline, from any node.
    public async Task<string> InterruptAndAnswerAsync(string sessionId, CancellationToken cancellationToken)
    {
        await using var lease = await runners.ReserveAsync(sessionId,
            new ReserveOptions { OnConflict = ConflictPolicy.Interrupt }, cancellationToken);
        if (!lease.IsActive) return $"not started: {lease.Status} {lease.Reason}";
        try
        {
            await lease.PublishAsync(new TokenDelta("thinking..."));
            await Task.Delay(10, lease.CancellationToken);
            var result = await lease.CompleteAsync();
            return $"{result.RunId}: {result.Status}";
        }
        catch (Exception exception)
        {
            var result = await lease.FailAsync(exception);
            return $"{result.RunId}: {result.Status}";
        }
    }

    // Late or reconnecting readers: pass the last sequence seen to resume without gaps or duplicates.
    public async Task<List<AgentEvent>> ReadEventsAsync(string sessionId, long? afterSequence, int count, CancellationToken cancellationToken)
    {
        var events = new List<AgentEvent>();
        await foreach (var evt in runners.SubscribeAsync(sessionId, afterSequence, cancellationToken))
        {
            events.Add(evt);
            if (events.Count == count) break;
        }
        return events;
    }
}
