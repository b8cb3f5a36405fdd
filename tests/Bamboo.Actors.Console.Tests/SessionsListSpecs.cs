using System.Diagnostics;
using Bamboo.Actors.Server.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Bamboo.Actors.Console.Tests;

[Collection(BrowserCollection.Name)]
public sealed class SessionsListSpecs(ConsoleBrowser browser, ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private RunningServer Server => fixture.Server;

    [SkippableFact]
    public async Task Should_show_a_new_session_within_two_seconds_and_open_it_whatever_its_id()
    {
        browser.Require();
        Skip.IfNot(await QueryApi.ServedAsync(Server), "the server does not serve GET /sessions (the query API)");
        var tag = Guid.NewGuid().ToString("N")[..6];
        // A few sessions in every state, for the list to show.
        await Server.StartRunAsync($"support/{tag} échange", """{"agent":"echo","input":"bonjour"}""");
        await Server.StartRunAsync($"billing {tag}", """{"agent":"fail","input":"card declined"}""");
        await Server.StartRunAsync($"research-{tag}", """{"agent":"sleep","durationMs":60000}""");
        await Server.StartRunAsync($"triage-{tag}", """{"agent":"sleep","durationMs":60000}""");
        await Server.PostAsync(RunningServer.Path($"triage-{tag}", "/cancel"), """{"reason":"operator"}""");

        await using var console = await ConsolePage.OpenAsync(browser, Server.BaseAddress);
        var page = console.Page;
        await console.GotoAsync("#/");
        await Expect(page.Locator("#sessions-table tbody tr").First).ToBeVisibleAsync();

        var sessionId = $"ops/{tag} new session 🎋";
        var row = page.Locator("#sessions-table tbody tr", new() { Has = page.GetByRole(AriaRole.Link, new() { Name = sessionId, Exact = true }) });
        await Server.StartRunAsync(sessionId, """{"agent":"echo","input":"Bamboo streams this answer back to you, token by token."}""");
        var clock = Stopwatch.StartNew();
        await Expect(row).ToBeVisibleAsync(new() { Timeout = 2_000 });
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"shown after {clock.Elapsed}");
        // Newest activity first.
        await Expect(page.Locator("#sessions-table tbody tr").First).ToContainTextAsync(sessionId);

        // The list reads at most once a second.
        var window = TimeSpan.FromSeconds(4);
        var from = DateTimeOffset.UtcNow;
        await page.WaitForTimeoutAsync((float)window.TotalMilliseconds);
        var reads = console.Requests.Count(request => request.At >= from && new Uri(request.Url).AbsolutePath == "/sessions");
        Assert.InRange(reads, 2, 5);

        await Expect(page.Locator("#sessions-table tbody tr", new() { HasText = $"research-{tag}" })).ToContainTextAsync("running");
        await Expect(page.Locator("#sessions-table tbody tr", new() { HasText = $"billing {tag}" })).ToContainTextAsync("error");
        await console.AssertAccessibleAsync();
        await console.ScreenshotAsync("sessions");

        // The status filter.
        await page.SelectOptionAsync("#filter-status", "error");
        await Expect(page.Locator("#sessions-table tbody tr", new() { HasText = $"billing {tag}" })).ToBeVisibleAsync();
        await Expect(page.Locator("#sessions-table tbody tr", new() { HasText = sessionId })).ToHaveCountAsync(0);
        await page.SelectOptionAsync("#filter-status", "");

        // The id prefix search.
        await page.FillAsync("#filter-prefix", $"ops/{tag}");
        await Expect(page.Locator("#sessions-table tbody tr")).ToHaveCountAsync(1);
        await page.FillAsync("#filter-prefix", "");

        // Odd ids open their own page: one encoded path segment in links and requests, the id as text in titles.
        await row.GetByRole(AriaRole.Link).ClickAsync();
        await Expect(page.Locator("#session-id")).ToHaveTextAsync(sessionId);
        Assert.Contains(sessionId, await page.TitleAsync());
        await Expect(page.Locator("#session-status")).ToHaveTextAsync("completed");
        await Expect(page.Locator("#runs-table tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator(".run-text")).ToHaveTextAsync("Bamboo streams this answer back to you, token by token.");
        await console.AssertAccessibleAsync();

        // The overview: runs of the last hour, this server alone.
        await page.GetByRole(AriaRole.Link, new() { Name = "Overview" }).ClickAsync();
        await Expect(page.Locator("#runs-started .value")).Not.ToHaveTextAsync("0");
        await Expect(page.Locator("svg.chart polyline")).ToHaveCountAsync(3);
        await Expect(page.Locator("#cluster-title")).ToHaveTextAsync("Cluster");
        await console.AssertAccessibleAsync();
        await console.ScreenshotAsync("overview");
        console.AssertNoProblems();
    }
}
