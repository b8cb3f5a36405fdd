using Bamboo.Actors.Server.Tests;
using static Microsoft.Playwright.Assertions;

namespace Bamboo.Actors.Console.Tests;

[Collection(BrowserCollection.Name)]
public sealed class ReplayGapSpecs(ConsoleBrowser browser, ShortRetentionServerFixture fixture) : IClassFixture<ShortRetentionServerFixture>
{
    private RunningServer Server => fixture.Server;

    [SkippableFact]
    public async Task Should_say_which_events_the_server_no_longer_retains()
    {
        browser.Require();
        var sessionId = $"ops/gap {Guid.NewGuid().ToString("N")[..6]}";
        await Server.StartRunAsync(sessionId, """{"agent":"echo","input":"one two three four five six seven eight nine ten"}""");
        var finished = await Server.WaitForStatusAsync(sessionId, "completed");
        var last = finished.GetProperty("lastSequence").GetInt64();

        await using var console = await ConsolePage.OpenAsync(browser, Server.BaseAddress);
        await QueryApi.ExpectAbsenceAsync(console, Server);
        await console.GotoAsync("#/sessions/" + Uri.EscapeDataString(sessionId));

        // The page asks for everything after 0; the server kept the last few: the rest is a gap, said as such.
        var gap = console.Page.Locator(".gap-notice");
        await Expect(gap).ToHaveAttributeAsync("data-gap", $"1-{last - ShortRetentionServerFixture.Retention}");
        await Expect(gap).ToContainTextAsync("no longer retained");
        await Expect(console.Page.Locator("#timeline")).ToHaveAttributeAsync("data-last-sequence", last.ToString());
        await Expect(console.Page.Locator("article.run-group")).ToHaveAttributeAsync("data-status", "completed");
        console.AssertNoProblems();
    }
}
