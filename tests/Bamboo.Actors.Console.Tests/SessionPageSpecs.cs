using Bamboo.Actors.Server.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Bamboo.Actors.Console.Tests;

[Collection(BrowserCollection.Name)]
public sealed class SessionPageSpecs(ConsoleBrowser browser, ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private RunningServer Server => fixture.Server;

    [SkippableFact]
    public async Task Should_show_running_then_cancelled_for_a_sleep_run_started_and_cancelled_from_the_page()
    {
        browser.Require();
        var sessionId = $"ops/sleep {Guid.NewGuid().ToString("N")[..6]} 🎋";
        await using var console = await ConsolePage.OpenAsync(browser, Server.BaseAddress);
        await QueryApi.ExpectAbsenceAsync(console, Server);
        var page = console.Page;
        await console.GotoAsync("#/sessions/" + Uri.EscapeDataString(sessionId));
        await Expect(page.Locator("#session-id")).ToHaveTextAsync(sessionId);
        Assert.Contains(sessionId, await page.TitleAsync());
        await Expect(page.Locator("#stream-status")).ToHaveAttributeAsync("data-state", "live");

        // An echo run first: its text and its tool call show on the timeline.
        await page.FillAsync("#session-run-input", "Bamboo streams this answer back to you, token by token.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start run…" }).ClickAsync();
        await page.Locator("dialog[open]").GetByRole(AriaRole.Button, new() { Name = "Start run", Exact = true }).ClickAsync();
        await Expect(page.Locator("article.run-group")).ToHaveAttributeAsync("data-status", "completed");
        await Expect(page.Locator(".run-text")).ToHaveTextAsync("Bamboo streams this answer back to you, token by token.");
        await Expect(page.Locator("#session-status")).ToHaveTextAsync("completed");

        // Start a sleep run from the page: the dialog shows the request, the answer is the API's.
        await page.SelectOptionAsync("#session-run-agent", "sleep");
        await page.FillAsync("#session-run-duration", "60000");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start run…" }).ClickAsync();
        var dialog = page.Locator("dialog[open]");
        await Expect(dialog).ToContainTextAsync("\"agent\": \"sleep\"");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Start run", Exact = true }).ClickAsync();
        var started = page.Locator("[data-answer=start]");
        await Expect(started).ToHaveAttributeAsync("data-status", "202");
        await Expect(started).ToContainTextAsync("\"status\": \"running\"");
        await Expect(page.Locator("#session-status")).ToHaveTextAsync("running");
        var sleepRun = page.Locator("article.run-group").Nth(1);
        await Expect(sleepRun).ToHaveAttributeAsync("data-status", "running");

        // Cancel it with a reason, by keyboard only: the dialog takes the focus, Enter confirms.
        await Expect(page.Locator("#cancel-run")).ToBeEnabledAsync();
        await page.Locator("#cancel-run").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        dialog = page.Locator("dialog[open]");
        await Expect(dialog.Locator("#dialog-reason")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.TypeAsync("operator spec");
        await Expect(dialog).ToContainTextAsync("\"reason\": \"operator spec\"");
        await page.Keyboard.PressAsync("Enter");
        var cancelled = page.Locator("[data-answer=cancel]");
        await Expect(cancelled).ToHaveAttributeAsync("data-status", "202");
        await Expect(cancelled).ToContainTextAsync("cancelling");

        await Expect(page.Locator("#session-status")).ToHaveTextAsync("cancelled");
        await Expect(sleepRun).ToHaveAttributeAsync("data-status", "cancelled");
        await Expect(page.Locator("li[data-type=run_cancelling]")).ToContainTextAsync("operator spec");
        Assert.Equal("cancelled", (await Server.WaitForStatusAsync(sessionId, "cancelled")).GetProperty("status").GetString());

        // Nothing is left to cancel.
        await Expect(page.Locator("#cancel-run")).ToBeDisabledAsync();
        await console.AssertAccessibleAsync();
        await console.ScreenshotAsync("session", fullPage: true);
        await page.SetViewportSizeAsync(390, 844);
        await console.AssertAccessibleAsync();
        await console.ScreenshotAsync("session-phone");
        console.AssertNoProblems();
    }
}
