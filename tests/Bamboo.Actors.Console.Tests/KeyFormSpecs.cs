using System.Net.Http.Headers;
using Bamboo.Actors.Server.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Bamboo.Actors.Console.Tests;

[Collection(BrowserCollection.Name)]
public sealed class KeyFormSpecs(ConsoleBrowser browser, KeyServerFixture fixture) : IClassFixture<KeyServerFixture>
{
    private RunningServer Server => fixture.Server;

    [SkippableFact]
    public async Task Should_show_only_the_key_form_refuse_a_wrong_key_and_stream_with_the_right_one_without_the_key_in_any_url()
    {
        browser.Require();
        await using var console = await ConsolePage.OpenAsync(browser, Server.BaseAddress);
        await QueryApi.ExpectAbsenceAsync(console, Server, KeyServerFixture.Key);
        var page = console.Page;
        console.Expect("HTTP 401 POST /auth/session");
        console.Expect("status of 401");
        await console.GotoAsync("#/");

        // Only the key form: no navigation, no data.
        await Expect(page.GetByLabel("API key", new() { Exact = true })).ToBeVisibleAsync();
        await Expect(page.Locator("#nav")).ToBeHiddenAsync();
        await Expect(page.Locator("#sessions-table")).ToHaveCountAsync(0);

        // A wrong key is refused, with the API's answer.
        await page.GetByLabel("API key", new() { Exact = true }).FillAsync("not-the-key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        var error = page.Locator("#key-error");
        await Expect(error).ToBeVisibleAsync();
        await Expect(error).ToContainTextAsync("401");
        await Expect(error).ToContainTextAsync("unauthorized");
        await Expect(page.Locator("#nav")).ToBeHiddenAsync();
        await console.AssertAccessibleAsync();

        // The right key opens the console; its event streams authenticate with the HttpOnly cookie.
        await page.GetByLabel("API key", new() { Exact = true }).FillAsync(KeyServerFixture.Key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.Locator("#nav")).ToBeVisibleAsync();
        await Expect(page.Locator("#sessions-table")).ToBeVisibleAsync();

        var sessionId = $"ops/key {Guid.NewGuid().ToString("N")[..6]} 🔑";
        await page.EvaluateAsync("id => location.hash = '#/sessions/' + encodeURIComponent(id)", sessionId);
        await Expect(page.Locator("#stream-status")).ToHaveAttributeAsync("data-state", "live");
        using (var request = new HttpRequestMessage(HttpMethod.Post, RunningServer.Path(sessionId, "/runs")))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", KeyServerFixture.Key);
            request.Content = new StringContent("""{"agent":"echo","input":"streamed with a cookie"}""", System.Text.Encoding.UTF8, "application/json");
            Assert.Equal(System.Net.HttpStatusCode.Accepted, (await Server.Http.SendAsync(request)).StatusCode);
        }
        await Expect(page.Locator("article.run-group")).ToHaveAttributeAsync("data-status", "completed");
        await Expect(page.Locator(".run-text")).ToHaveTextAsync("streamed with a cookie");

        var cookie = Assert.Single(await console.Context.CookiesAsync(), c => c.Name == "bamboo_stream");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.Equal("/sessions", cookie.Path);
        Assert.DoesNotContain(KeyServerFixture.Key, cookie.Value);
        Assert.DoesNotContain(console.Requests, request => request.Url.Contains(KeyServerFixture.Key, StringComparison.Ordinal));
        Assert.Contains(console.Requests, request => request.Url.Contains("/events", StringComparison.Ordinal));

        // Signing out forgets the key and the cookie.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByLabel("API key", new() { Exact = true })).ToBeVisibleAsync();
        Assert.DoesNotContain(await console.Context.CookiesAsync(), c => c.Name == "bamboo_stream");
        console.AssertNoProblems();
    }
}
