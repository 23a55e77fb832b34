using System.Diagnostics;
using System.Globalization;
using Ci.Web.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Ci.Web.Tests;

/// <summary>
/// Measures the job page with a big log: time to the first log line, time to the whole log, the page's JS heap,
/// its DOM size and Chromium's total memory. Run on demand (it takes minutes at 200 MB):
/// <c>CI_WEB_MEASURE_LOG_MB=200 dotnet test --project tests/Ci.Web.Tests -c Release -- --filter-class Ci.Web.Tests.LargeLogMeasurement</c>.
/// </summary>
public sealed class LargeLogMeasurement(Chromium chromium, ITestOutputHelper output) : IClassFixture<Chromium>
{
    [Fact]
    public async Task Job_page_with_a_large_log()
    {
        var setting = Environment.GetEnvironmentVariable("CI_WEB_MEASURE_LOG_MB");
        Assert.SkipWhen(setting is null, "Set CI_WEB_MEASURE_LOG_MB (e.g. 200) to measure the job page with a log that big.");
        var megabytes = int.Parse(setting, CultureInfo.InvariantCulture);
        await using var server = await WebServer.StartAsync();
        var (user, key) = await server.CreateUserAsync();
        var job = await server.CreateJobAsync(user.Id);
        await server.StartJobAsync(job.Id);

        // pytest-like lines of ~100 bytes, in 64 KB chunks as the runner stores them.
        var line = "tests/test_module.py::test_case_{0:D8} PASSED                                    [ 42%]\n";
        var lineBytes = string.Format(CultureInfo.InvariantCulture, line, 0).Length;
        var total = megabytes * 1024L * 1024 / lineBytes;
        var perChunk = 64 * 1024 / lineBytes;
        var fill = Stopwatch.StartNew();
        for (long start = 0; start < total; start += perChunk)
        {
            var count = (int)Math.Min(perChunk, total - start);
            await server.LogAsync(job.Id, string.Concat(Enumerable.Range(0, count).Select(i => string.Format(CultureInfo.InvariantCulture, line, start + i + 1))));
        }
        await server.FinishAsync(job.Id, success: true);
        Report($"stored {total:N0} lines ({megabytes} MB) in {fill.Elapsed.TotalSeconds:F1} s");

        var page = await chromium.NewPageAsync();
        await page.GotoAsync($"{server.Url}/ui/");
        await page.GetByLabel("API key").FillAsync(key.Key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.Locator("#who")).ToContainTextAsync(user.Name);

        await page.GotoAsync($"{server.Url}/ui/jobs/{job.Id}");
        // Any line: by the first frame the view may already follow the end, far past line 1.
        await page.Locator("#log .log-line").First.WaitForAsync(new() { Timeout = 300_000 });
        var firstLineMs = await page.EvaluateAsync<double>("performance.now()");
        await Expect(page.Locator("#log-status")).ToContainTextAsync("end of log", new() { Timeout = 900_000 });
        var allMs = await page.EvaluateAsync<double>("performance.now()");
        var status = await page.Locator("#log-status").TextContentAsync();

        var cdp = await page.Context.NewCDPSessionAsync(page);
        await cdp.SendAsync("HeapProfiler.collectGarbage");
        await cdp.SendAsync("Performance.enable");
        var metrics = (await cdp.SendAsync("Performance.getMetrics"))!.Value.GetProperty("metrics").EnumerateArray()
            .ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("value").GetDouble());
        var domLines = await page.Locator(".log-line").CountAsync();
        // Scrolling to a line deep in the log stays instant: only the lines in view are built.
        var jump = Stopwatch.StartNew();
        var target = total * 3 / 4;
        await page.EvaluateAsync($"location.hash = '#L{target}'");
        await Expect(page.Locator($"#L{target}")).ToBeInViewportAsync();
        jump.Stop();

        Report($"status: {status}");
        Report($"first log line on the page: {firstLineMs:F0} ms after navigation");
        Report($"whole log received: {allMs / 1000:F1} s after navigation");
        Report($"JS heap used: {metrics["JSHeapUsedSize"] / 1048576:F0} MB (total {metrics["JSHeapTotalSize"] / 1048576:F0} MB)");
        Report($"DOM nodes: {metrics["Nodes"]:F0}, log lines in the DOM: {domLines}");
        Report($"jump to line {target:N0}: {jump.ElapsedMilliseconds} ms");
        Report($"Chromium resident memory (all processes): {ChromiumRssMb()} MB");
        Assert.Contains("end of log", status);
        Assert.InRange(domLines, 1, 200);
        await page.Context.CloseAsync();
    }

    private void Report(string line)
    {
        output.WriteLine(line);
        // Also kept beside the screenshots, since test output is shown only for failures.
        File.AppendAllText(Path.Combine(Artifacts.Screenshots, "..", "large-log-measurement.txt"), line + "\n");
    }

    /// <summary>The resident memory of every Chromium process on the machine (Linux /proc), in MB.</summary>
    private static long ChromiumRssMb()
    {
        long kb = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var comm = File.ReadAllText(Path.Combine(dir, "comm")).Trim();
                if (!comm.StartsWith("chrom", StringComparison.Ordinal))
                    continue;
                var rss = File.ReadLines(Path.Combine(dir, "status")).FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                if (rss is not null)
                    kb += long.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return kb / 1024;
    }
}
