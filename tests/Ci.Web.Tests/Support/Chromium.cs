using Microsoft.Playwright;

namespace Ci.Web.Tests.Support;

/// <summary>
/// One headless Chromium for the test class: Debian's browser (<c>apt-get install chromium</c>, which .ci/run
/// does), driven by Playwright; Playwright's own browser download is never used.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
            return;
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            // Root in CI: Chromium's own sandbox needs user namespaces it may not get there.
            ChromiumSandbox = false,
        });
    }

    /// <summary>A fresh browser context (its own cookies) with a page open; skips when Chromium is missing.</summary>
    public async Task<IPage> NewPageAsync()
    {
        Assert.SkipWhen(_playwright is null, $"{ExecutablePath} is missing: apt-get install chromium");
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        context.SetDefaultTimeout(30_000);
        context.SetDefaultNavigationTimeout(30_000);
        return await context.NewPageAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_playwright is null)
            return;
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }
}
