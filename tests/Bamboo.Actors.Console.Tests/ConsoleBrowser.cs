using Microsoft.Playwright;

namespace Bamboo.Actors.Console.Tests;

/// <summary>
/// The headless Chromium of the browser specs: Debian's <c>chromium</c> found on PATH, driven by Playwright through its
/// executable path (Playwright's own browser builds are never downloaded). Without it a spec reports itself skipped —
/// never passed — except in CI (<c>CI=true</c>), where <c>.ci/run</c> must have installed it and its absence fails the spec.
/// </summary>
public sealed class ConsoleBrowser : IAsyncLifetime
{
    /// <summary>Chromium's switches for a headless run as root in a container, without background traffic.</summary>
    public static readonly IReadOnlyList<string> LaunchArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run",
        "--disable-sync",
    ];

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>The path of the <c>chromium</c> executable on PATH, or null.</summary>
    public static string? ExecutablePath { get; } = FindOnPath("chromium");

    /// <summary>The browser; only after <see cref="Require"/> said it is there.</summary>
    public IBrowser Browser => _browser ?? throw new InvalidOperationException("the browser is not running");

    /// <summary>Why the browser specs cannot run here (they report themselves skipped), or null when they can.</summary>
    /// <exception cref="InvalidOperationException">In CI without Chromium: the spec must fail, not skip.</exception>
    public static string? MissingReason()
    {
        if (ExecutablePath is not null) return null;
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException("chromium is not on PATH: CI must install it (apt-get install chromium) for the browser specs.");
        return "chromium is not on PATH (apt-get install chromium)";
    }

    /// <summary>Skips the calling spec when there is no browser (fails it in CI).</summary>
    public void Require()
    {
        var reason = MissingReason();
        Skip.If(reason is not null, reason);
    }

    public async Task InitializeAsync()
    {
        if (ExecutablePath is null) return;
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = LaunchArgs,
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
    }

    private static string? FindOnPath(string name)
    {
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}

/// <summary>The browser specs share one Chromium and run one at a time (they measure timing on a 2-core machine).</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<ConsoleBrowser>
{
    public const string Name = "browser";
}
