using System.Collections.Concurrent;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Bamboo.Actors.Console.Tests;

/// <summary>
/// A fresh browser context and page on the console, recording everything that would show up as a problem in the
/// browser's console: page errors (uncaught exceptions), console errors, failed requests and HTTP error answers.
/// </summary>
public sealed class ConsolePage : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _problems = new();
    private readonly ConcurrentQueue<(DateTimeOffset At, string Method, string Url)> _requests = new();
    private readonly ConcurrentQueue<Func<string, bool>> _expected = new();

    private ConsolePage(IBrowserContext context, IPage page, Uri baseAddress)
    {
        Context = context;
        Page = page;
        BaseAddress = baseAddress;
        page.PageError += (_, error) => _problems.Enqueue($"page error: {error}");
        page.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning") Report($"console {message.Type}: {message.Text} at {message.Location}");
        };
        page.Request += (_, request) => _requests.Enqueue((DateTimeOffset.UtcNow, request.Method, request.Url));
        page.RequestFailed += (_, request) =>
        {
            // Requests cut because the test took the network away, and the event stream cut because the page closed,
            // are not failures of the console.
            if (NetworkCut && (IsEventStream(request.Url) || (request.Failure ?? "").Contains("ERR_INTERNET_DISCONNECTED", StringComparison.Ordinal))) return;
            // The page closed its event stream itself (it left the session, or the page is closing).
            if (IsEventStream(request.Url) && (Closing || (request.Failure ?? "").Contains("ERR_ABORTED", StringComparison.Ordinal))) return;
            // A read the page cancelled itself: a poll in flight when the view changed (signing in re-renders the page).
            if (request.Method == "GET" && (request.Failure ?? "").Contains("ERR_ABORTED", StringComparison.Ordinal)) return;
            Report($"request failed: {request.Method} {request.Url} {request.Failure}");
        };
        page.Response += (_, response) =>
        {
            if (response.Status >= 400) Report($"HTTP {response.Status} {response.Request.Method} {new Uri(response.Url).AbsolutePath}");
        };
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    public Uri BaseAddress { get; }

    /// <summary>Whether the test cut the page's network (its requests may then fail, as they should).</summary>
    public bool NetworkCut { get; private set; }

    private bool Closing { get; set; }

    /// <summary>Every request the page sent, with its time.</summary>
    public IReadOnlyList<(DateTimeOffset At, string Method, string Url)> Requests => _requests.ToList();

    public static async Task<ConsolePage> OpenAsync(ConsoleBrowser browser, Uri baseAddress, int width = 1280, int height = 800)
    {
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            Locale = "en-GB",
            TimezoneId = "UTC",
        });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        return new ConsolePage(context, page, baseAddress);
    }

    /// <summary>Opens a console route (<c>#/…</c>) and waits until the console has started.</summary>
    public async Task GotoAsync(string fragment = "#/")
    {
        await Page.GotoAsync(new Uri(BaseAddress, "/" + fragment).ToString());
        await Page.Locator("main .loading").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Detached });
    }

    /// <summary>A problem the test provokes on purpose: part of its report ("HTTP 401 POST /auth/session", a console message).</summary>
    public void Expect(string problem) => _expected.Enqueue(text => text.Contains(problem, StringComparison.Ordinal));

    /// <summary>Problems the test provokes on purpose, when a substring cannot say which.</summary>
    public void Expect(Func<string, bool> problem) => _expected.Enqueue(problem);

    /// <summary>
    /// Takes the network away from the page: the browser goes offline (new requests fail) and <paramref name="proxy"/>,
    /// the page's way to the server, resets the connections already open — Chromium's offline mode alone leaves an
    /// open event stream running. The browser reports what fails meanwhile (failed loads, a cut stream): expected.
    /// </summary>
    public async Task CutNetworkAsync(Bamboo.Actors.TestSupport.TcpProxy proxy)
    {
        NetworkCut = true;
        Expect("ERR_INTERNET_DISCONNECTED");
        Expect("ERR_INCOMPLETE_CHUNKED_ENCODING");
        await Context.SetOfflineAsync(true);
        proxy.Cut();
    }

    /// <summary>Gives the page its network back.</summary>
    public async Task RestoreNetworkAsync(Bamboo.Actors.TestSupport.TcpProxy proxy)
    {
        proxy.Restore();
        await Context.SetOfflineAsync(false);
    }

    /// <summary>Fails with every problem the browser reported.</summary>
    public void AssertNoProblems() => Assert.True(_problems.IsEmpty, "the browser reported problems:\n" + string.Join("\n", _problems));

    /// <summary>Runs axe-core's WCAG 2.1 A and AA rules on the page as it is, and fails with every violation.</summary>
    public async Task AssertAccessibleAsync()
    {
        var result = await Page.RunAxe(new AxeRunOptions
        {
            RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
        });
        var violations = result.Violations.Select(violation =>
            $"{violation.Id} ({violation.Impact}): {violation.Help} at {string.Join(", ", violation.Nodes.Select(node => node.Target.ToString()))}");
        Assert.True(result.Violations.Length == 0, "accessibility violations:\n" + string.Join("\n", violations));
    }

    /// <summary>Saves a screenshot of the page (see <see cref="Screenshots"/>).</summary>
    public Task ScreenshotAsync(string name, bool fullPage = false) =>
        Page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshots.PathOf(name), FullPage = fullPage });

    public async ValueTask DisposeAsync()
    {
        Closing = true;
        await Context.CloseAsync();
    }

    private void Report(string problem)
    {
        if (!_expected.Any(expected => expected(problem))) _problems.Enqueue(problem);
    }

    private static bool IsEventStream(string url) => new Uri(url).AbsolutePath.EndsWith("/events", StringComparison.Ordinal);
}
