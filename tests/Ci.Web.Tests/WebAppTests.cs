using System.Net;
using Ci.Web.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Ci.Web.Tests;

/// <summary>The web app as a person uses it, in a real headless Chromium against a real ci-server.</summary>
public sealed class WebAppTests(Chromium chromium) : IClassFixture<Chromium>
{
    private static async Task SignInAsync(IPage page, WebServer server, string key, string name)
    {
        await page.GotoAsync($"{server.Url}/ui/");
        await page.GetByLabel("API key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.Locator("#who")).ToContainTextAsync(name);
    }

    /// <summary>A new browser page, signed in with <paramref name="key"/>.</summary>
    private async Task<IPage> SignedInPageAsync(WebServer server, string key, string name)
    {
        var page = await chromium.NewPageAsync();
        await SignInAsync(page, server, key, name);
        return page;
    }

    [Fact]
    public async Task Root_redirects_to_the_app_and_signing_in_sets_an_HttpOnly_strict_cookie_only()
    {
        await using var server = await WebServer.StartAsync();
        var (user, key) = await server.CreateUserAsync();
        var page = await chromium.NewPageAsync();

        await page.GotoAsync(server.Url + "/");
        Assert.EndsWith("/ui/", page.Url);
        await SignInAsync(page, server, key.Key, user.Name);
        await Expect(page.GetByText("No jobs found.")).ToBeVisibleAsync();

        var cookies = await page.Context.CookiesAsync();
        var session = Assert.Single(cookies);
        Assert.Equal("ci_session", session.Name);
        Assert.True(session.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, session.SameSite);
        Assert.DoesNotContain(key.Key, session.Value);
        // Nothing the page's scripts can read holds the key or the session.
        Assert.Equal(0, await page.EvaluateAsync<int>("localStorage.length + sessionStorage.length"));
        Assert.Equal("", await page.EvaluateAsync<string>("document.cookie"));
        Assert.DoesNotContain(key.Key, await page.ContentAsync());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_submitted_job_appears_on_the_jobs_page_and_finishes_then_its_page_shows_the_log()
    {
        await using var server = await WebServer.StartAsync(withRunner: true);
        var (user, key) = await server.CreateUserAsync("Ada Lovelace");
        var page = await SignedInPageAsync(server, key.Key, user.Name);

        var (jobId, response) = await server.SubmitAsync(key.Key,
            ("test_calculator.py", """
                def add(a, b):
                    return a + b

                def test_add():
                    assert add(2, 3) == 5

                def test_add_negative():
                    assert add(-1, -1) == -2

                def test_add_zero():
                    assert add(0, 7) == 7

                def test_add_strings():
                    assert add("2", "3") == 5, "strings concatenate"
                """));
        Assert.Equal($"{server.Url}/ui/jobs/{jobId}", response.Headers.GetValues("X-CI-Web-URL").Single());

        var row = page.Locator($"tr[data-job-id='{jobId}']");
        await Expect(row).ToBeVisibleAsync();
        await Expect(row.Locator(".status")).ToHaveTextAsync("completed", new() { Timeout = 90_000 });
        await Expect(row.Locator("td").Nth(4)).ToHaveTextAsync("✗");

        await row.GetByRole(AriaRole.Link).ClickAsync();
        Assert.EndsWith($"/ui/jobs/{jobId}", page.Url);
        await Expect(page.Locator("#job-status")).ToHaveTextAsync("completed");
        await Expect(page.Locator("#log")).ToContainTextAsync("1 failed, 3 passed");
        // The test report: every test with its outcome and time, the failure first.
        await Expect(page.Locator("#tests")).ToContainTextAsync("3 passed, 1 failed, 0 skipped");
        await Expect(page.Locator("#tests tr")).ToHaveCountAsync(4);
        await Expect(page.Locator("#tests tr").First).ToContainTextAsync("test_add_strings");
        await Expect(page.Locator("#tests tr").First.Locator("td").First).ToHaveTextAsync("failed");
        // The failure-first ending above the log, as the client ends on stderr.
        var failures = page.Locator("#failures");
        await Expect(failures).ToContainTextAsync("FAILED test_calculator.py::test_add_strings");
        await Expect(failures).ToContainTextAsync("strings concatenate");
        await Expect(failures).ToContainTextAsync("3 passed, 1 failed, 0 skipped in ");
        await Expect(failures).ToContainTextAsync($"Rerun the failed tests with: ci rerun {jobId} --failed");
        Assert.True(await page.EvaluateAsync<bool>(
            "() => (document.querySelector('#failures').compareDocumentPosition(document.querySelector('#log')) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0"));
        await Expect(page.Locator("#log-status")).ToContainTextAsync("end of log");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel" })).ToBeHiddenAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts.Screenshots, "job-page.png") });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_job_page_streams_the_log_live_with_colours_auto_scroll_and_line_links()
    {
        await using var server = await WebServer.StartAsync();
        var (user, key) = await server.CreateUserAsync();
        var job = await server.CreateJobAsync(user.Id);
        var page = await SignedInPageAsync(server, key.Key, user.Name);

        await page.GotoAsync($"{server.Url}/ui/jobs/{job.Id}");
        await Expect(page.Locator("#job-status")).ToHaveTextAsync("queued");
        await Expect(page.Locator("#log-status")).ToContainTextAsync("Waiting for the job to start");
        await server.StartJobAsync(job.Id);
        await server.LogAsync(job.Id, "Installing dependencies...\n");
        await Expect(page.Locator("#L1")).ToContainTextAsync("Installing dependencies...");
        await Expect(page.Locator("#job-status")).ToHaveTextAsync("running");

        // Colours: SGR red, then reset; a line may also arrive in pieces.
        await server.LogAsync(job.Id, "test_x.py::test_a \u001b[31mFAI");
        await server.LogAsync(job.Id, "LED\u001b[0m\n");
        await Expect(page.Locator("#L2 .fg-31")).ToHaveTextAsync("FAILED");
        Assert.DoesNotContain("\u001b", await page.Locator("#L2").TextContentAsync());

        // Following: the newest line is in view.
        await server.LogAsync(job.Id, string.Concat(Enumerable.Range(3, 298).Select(i => $"line {i}\n")));
        await Expect(page.Locator("#L300")).ToBeInViewportAsync();

        // Scrolling up stops following: new lines do not move the view.
        await page.Locator("#log").HoverAsync();
        await page.Mouse.WheelAsync(0, -100_000);
        await Expect(page.Locator("#L1")).ToBeInViewportAsync();
        await Expect(page.Locator("#log-status")).ToContainTextAsync("paused");
        await server.LogAsync(job.Id, string.Concat(Enumerable.Range(301, 100).Select(i => $"line {i}\n")));
        await Expect(page.Locator("#log-status")).ToContainTextAsync("400 lines");
        await Expect(page.Locator("#L1")).ToBeInViewportAsync();

        // Line numbers are links, followed in place: the page is not rebuilt (nor the log fetched again).
        await page.Locator("#log").EvaluateAsync("e => e.dataset.marker = 'same page'");
        await page.Locator("#L2 a.ln").ClickAsync();
        Assert.EndsWith("#L2", page.Url);
        await Expect(page.Locator("#L2")).ToHaveClassAsync("log-line target");
        Assert.Equal("same page", await page.Locator("#log").GetAttributeAsync("data-marker"));
        var linked = await page.Context.NewPageAsync();
        await linked.GotoAsync($"{server.Url}/ui/jobs/{job.Id}#L250");
        await Expect(linked.Locator("#L250")).ToBeInViewportAsync();
        await Expect(linked.Locator("#L250")).ToHaveClassAsync("log-line target");

        await server.FinishAsync(job.Id, success: false);
        await Expect(page.Locator("#job-status")).ToHaveTextAsync("completed");
        await Expect(page.Locator("#job-result")).ToHaveTextAsync("✗");
        await Expect(page.Locator("#log-status")).ToContainTextAsync("end of log");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Cancel_stops_a_queued_job()
    {
        await using var server = await WebServer.StartAsync();
        var (user, key) = await server.CreateUserAsync();
        var job = await server.CreateJobAsync(user.Id);
        var page = await SignedInPageAsync(server, key.Key, user.Name);

        await page.GotoAsync($"{server.Url}/ui/jobs/{job.Id}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(page.Locator("#job-status")).ToHaveTextAsync("cancelled");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel" })).ToBeHiddenAsync();
        await Expect(page.Locator("#log")).ToContainTextAsync("Job cancelled.");
        Assert.Equal(Ci.Core.Protocol.JobStatus.Cancelled, (await server.Store.GetJobAsync(job.Id, CancellationToken.None))!.Status);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Another_users_job_or_an_unknown_id_shows_job_not_found()
    {
        await using var server = await WebServer.StartAsync();
        var (owner, _) = await server.CreateUserAsync();
        var job = await server.CreateJobAsync(owner.Id);
        var (other, otherKey) = await server.CreateUserAsync();
        var page = await SignedInPageAsync(server, otherKey.Key, other.Name);

        await page.GotoAsync($"{server.Url}/ui/jobs/{job.Id}");
        await Expect(page.GetByText("Job not found")).ToBeVisibleAsync();
        await page.GotoAsync($"{server.Url}/ui/jobs/not-a-job");
        await Expect(page.GetByText("Job not found")).ToBeVisibleAsync();
        await page.GotoAsync($"{server.Url}/ui/");
        await Expect(page.GetByText("No jobs found.")).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Sign_out_ends_the_session_on_the_server()
    {
        await using var server = await WebServer.StartAsync();
        var (user, key) = await server.CreateUserAsync();
        var page = await SignedInPageAsync(server, key.Key, user.Name);
        var cookie = (await page.Context.CookiesAsync()).Single().Value;

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByLabel("API key")).ToBeVisibleAsync();
        Assert.Empty(await page.Context.CookiesAsync());
        // A copy of the old cookie is worth nothing now.
        Assert.Equal(HttpStatusCode.Unauthorized, await GetJobsWithCookieAsync(server, cookie));
        await page.ReloadAsync();
        await Expect(page.GetByLabel("API key")).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Revoking_the_key_ends_the_sessions_it_opened()
    {
        await using var server = await WebServer.StartAsync();
        var (user, key) = await server.CreateUserAsync();
        var page = await SignedInPageAsync(server, key.Key, user.Name);
        var cookie = (await page.Context.CookiesAsync()).Single().Value;
        Assert.Equal(HttpStatusCode.OK, await GetJobsWithCookieAsync(server, cookie));

        await server.Store.RevokeApiKeyAsync(key.Info.Id, CancellationToken.None);
        await page.ReloadAsync();
        await Expect(page.GetByLabel("API key")).ToBeVisibleAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, await GetJobsWithCookieAsync(server, cookie));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_long_log_keeps_only_the_lines_in_view_in_the_page()
    {
        await using var server = await WebServer.StartAsync();
        var (user, key) = await server.CreateUserAsync();
        var job = await server.CreateJobAsync(user.Id);
        await server.StartJobAsync(job.Id);
        const int lines = 50_000;
        for (var start = 1; start <= lines; start += 1000)
            await server.LogAsync(job.Id, string.Concat(Enumerable.Range(start, 1000).Select(i => $"{i:D6} collected item with some text to make the line longer\n")));
        var page = await SignedInPageAsync(server, key.Key, user.Name);

        await page.GotoAsync($"{server.Url}/ui/jobs/{job.Id}");
        await Expect(page.Locator("#log-status")).ToContainTextAsync("50,000 lines");
        await Expect(page.Locator($"#L{lines}")).ToBeInViewportAsync();
        Assert.InRange(await page.Locator(".log-line").CountAsync(), 1, 200);

        await page.GotoAsync($"{server.Url}/ui/jobs/{job.Id}#L31234");
        await Expect(page.Locator("#L31234")).ToBeInViewportAsync();
        await Expect(page.Locator("#L31234")).ToContainTextAsync("031234 collected item");
        Assert.InRange(await page.Locator(".log-line").CountAsync(), 1, 200);
        await page.Context.CloseAsync();
    }

    private static async Task<HttpStatusCode> GetJobsWithCookieAsync(WebServer server, string sessionId)
    {
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/jobs");
        request.Headers.Add("Cookie", $"ci_session={sessionId}");
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }
}
