using Akka.Hosting;
using Bamboo.Actors.Client;
using Bamboo.Actors.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Hosting.Tests;

/// <summary>A hosted ActorSystem with <c>WithBambooRunners()</c> and the <see cref="IRunnerClient"/> from DI.</summary>
public abstract class BambooHostingSpec(ITestOutputHelper output, Action<BambooRunnerOptions>? configure = null)
    : Akka.Hosting.TestKit.TestKit(output: output)
{
    protected IRunnerClient Client => Host.Services.GetRequiredService<IRunnerClient>();

    protected override void ConfigureServices(HostBuilderContext context, IServiceCollection services) =>
        services.AddBambooRunnerClient();

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        builder
            // Generous waits for a loaded CI machine; a passing expectation returns as soon as it holds.
            .AddHocon("akka.test.single-expect-default = 10s", HoconAddMode.Prepend)
            .WithBambooRunners(options =>
        {
            // Durable sessions on the in-memory journal: each spec starts from nothing.
            options.Persistence.Mode = BambooPersistenceMode.InMemory;
            configure?.Invoke(options);
        });

    /// <summary>The session's diagnostics; fails the spec on any other answer.</summary>
    protected async Task<RunnerSnapshot> StatusAsync(string sessionId) =>
        Assert.IsType<RunnerSnapshot>(await Client.GetStatusAsync(sessionId, TestTimeout()));

    /// <summary>A token that fires after <paramref name="seconds"/> or when the test is cancelled.</summary>
    protected static CancellationToken TestTimeout(double seconds = 10)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        source.CancelAfter(TimeSpan.FromSeconds(seconds));
        return source.Token;
    }
}
