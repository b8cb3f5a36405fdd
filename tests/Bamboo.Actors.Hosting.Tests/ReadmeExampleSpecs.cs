using Bamboo.Actors.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MyService;

namespace Bamboo.Actors.Hosting.Tests;

public sealed class ReadmeExampleSpecs
{
    [Fact]
    public void Should_show_in_the_readme_exactly_the_example_this_project_compiles()
    {
        var readme = Normalize(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "README.md")));
        var example = Normalize(File.ReadAllText(FindExample()));

        Assert.Contains(example, readme);
    }

    [Fact]
    public async Task Should_run_the_readme_example_in_a_real_host()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAgentRuns();
        using var host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await host.StartAsync(timeout.Token);
        try
        {
            var agent = host.Services.GetRequiredService<ChatAgent>();
            // The example keeps the default SQLite database next to the test binaries: use a session no earlier run used.
            var session = $"readme-{Guid.NewGuid():N}";

            var answer = await agent.AnswerAsync(session, "hello bamboo", timeout.Token);
            var events = await agent.ReadEventsAsync(session, afterSequence: 0, count: 7, timeout.Token);
            var interrupted = await agent.InterruptAndAnswerAsync(session, timeout.Token);

            Assert.Equal(RunStatus.Completed, answer.Status);
            Assert.Equal(7, events.Count);
            Assert.IsType<Bamboo.Actors.Events.ExecutionFinished>(events[^1]);
            Assert.EndsWith(": Completed", interrupted);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static string FindExample()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "Bamboo.Actors.Hosting.Tests", "Examples", "EmbeddingExample.cs");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException("EmbeddingExample.cs not found above " + AppContext.BaseDirectory);
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n").Trim();
}
