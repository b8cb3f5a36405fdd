using System.Net.Http.Json;
using Bamboo.Actors.Server.Tests;
using Bamboo.Actors.TestSupport;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Bamboo.Actors.Console.Tests;

[Collection(BrowserCollection.Name)]
public sealed class TimelineSpecs(ConsoleBrowser browser, ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const int Words = 500;

    private RunningServer Server => fixture.Server;

    [SkippableFact]
    public async Task Should_show_every_token_delta_once_and_in_order_also_across_a_dropped_connection()
    {
        browser.Require();
        var sessionId = $"ops/echo {Guid.NewGuid().ToString("N")[..6]} a/b";
        var input = string.Join(" ", Enumerable.Range(1, Words).Select(i => $"w{i:000}"));
        // The page reaches the server through a proxy that can cut its connections.
        await using var proxy = TcpProxy.Start(Server.BaseAddress.Host, Server.BaseAddress.Port);
        await using var console = await ConsolePage.OpenAsync(browser, new Uri($"http://127.0.0.1:{proxy.Port}/"));
        await QueryApi.ExpectAbsenceAsync(console, Server);
        var page = console.Page;
        await console.GotoAsync("#/sessions/" + Uri.EscapeDataString(sessionId));
        await Expect(page.Locator("#stream-status")).ToHaveAttributeAsync("data-state", "live");

        await Server.StartRunAsync(sessionId, System.Text.Json.JsonSerializer.Serialize(new { agent = "echo", input }));
        var text = page.Locator(".run-text");
        await page.WaitForFunctionAsync("() => Number(document.querySelector('.run-text')?.dataset.deltas ?? 0) >= 10");

        // Cut the page's network while the run streams: the page misses what is published meanwhile...
        await console.CutNetworkAsync(proxy);
        await Expect(page.Locator("#stream-status")).Not.ToHaveAttributeAsync("data-state", "live");
        await Server.WaitForStatusAsync(sessionId, "completed", seconds: 30);
        var seenWhileOffline = int.Parse(await text.GetAttributeAsync("data-deltas") ?? "0");
        Assert.True(seenWhileOffline < Words, $"the run ended before the network was cut ({seenWhileOffline} deltas seen)");

        // ...and gets it when the network is back: resumed after the last sequence it saw, no gap, no repeat.
        await console.RestoreNetworkAsync(proxy);
        await Expect(page.Locator("article.run-group")).ToHaveAttributeAsync("data-status", "completed", new() { Timeout = 20_000 });
        Assert.Equal(input, await text.TextContentAsync());
        Assert.Equal(Words.ToString(), await text.GetAttributeAsync("data-deltas"));
        var timeline = page.Locator("#timeline");
        Assert.Equal("0", await timeline.GetAttributeAsync("data-duplicates"));
        Assert.True(int.Parse(await timeline.GetAttributeAsync("data-reconnects") ?? "0") >= 1, "the stream was never reopened");
        await Expect(page.Locator(".gap-notice")).ToHaveCountAsync(0);
        // The tool call is a span on the run's time axis.
        await Expect(page.Locator("article.run-group rect.tool-span")).ToHaveCountAsync(1);

        console.AssertNoProblems();
    }
}
