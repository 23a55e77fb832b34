using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ci.EndToEnd.Tests.Infrastructure;

namespace Ci.EndToEnd.Tests;

/// <summary>
/// The published ci-server shares its slots between users, ends web sessions with their key, works behind a TLS
/// proxy it trusts, and limits failed sign-ins.
/// </summary>
public sealed partial class SecurityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task On_one_slot_another_users_job_runs_second_after_three_jobs_of_one_user()
    {
        await using var system = await CiSystem.StartAsync("--concurrency", "1");
        await system.Admin("user", "create", "--name", "Bob", "--email", "bob@example.com").ExpectSuccess();
        var bob = new Dictionary<string, string?> { ["CI_API_KEY"] = await system.CreateKeyAsync("bob@example.com") };
        var gate = Path.Combine(system.Root, "gate");
        var holding = Path.Combine(system.Root, "projects", "holding");
        Directory.CreateDirectory(holding);
        await File.WriteAllTextAsync(Path.Combine(holding, "test_hold.py"), $$"""
            import os, time

            def test_hold():
                deadline = time.monotonic() + 60
                while not os.path.exists({{JsonSerializer.Serialize(gate)}}) and time.monotonic() < deadline:
                    time.sleep(0.05)
            """, Ct);
        // Each job lasts over a second: job times have whole seconds, so one slot's starts then differ by at least one.
        var quick = Path.Combine(system.Root, "projects", "second");
        Directory.CreateDirectory(quick);
        await File.WriteAllTextAsync(Path.Combine(quick, "test_second.py"), "import time\n\ndef test_second():\n    time.sleep(1.2)\n", Ct);

        var first = await system.SubmitAsyncAsync(holding);
        await WaitForAsync(async () => (await system.JobAsync(first)).GetProperty("status").GetString() == "running", "the first job runs");
        string[] adas = [await system.SubmitAsyncAsync(quick), await system.SubmitAsyncAsync(quick)];
        var bobs = await system.StartCi(quick, ["submit", "test", "--async"], bob).WaitAsync(TimeSpan.FromSeconds(120));
        var bobsJob = CiSystem.JobSubmittedPattern().Match(bobs.Stdout).Groups[1].Value;
        await File.WriteAllTextAsync(gate, "go", Ct);
        var bobsEnd = await system.StartCi(quick, ["wait", bobsJob], bob).WaitAsync(TimeSpan.FromSeconds(120));
        foreach (var id in adas)
            await system.Ci(quick, "wait", id).ExpectSuccess();

        Assert.True(bobsEnd.ExitCode == 0, bobsEnd.ToString());
        var bobsList = await system.StartCi(quick, ["list", "--json"], bob).WaitAsync(TimeSpan.FromSeconds(120));
        var bobStarted = StartTime(JsonDocument.Parse(bobsList.Stdout).RootElement.EnumerateArray().Single());
        var adaStarts = new List<DateTime>();
        foreach (var id in adas)
            adaStarts.Add(StartTime(await system.JobAsync(id)));
        Assert.True(bobStarted < adaStarts.Min(), $"Bob's job started {bobStarted:O}, Ada's waiting ones {string.Join(", ", adaStarts.Select(t => t.ToString("O")))}");
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_sign_in_gets_a_secure_cookie_the_session_ends_with_its_keys_grace_and_guessing_is_limited()
    {
        await using var system = await CiSystem.StartAsync("--trusted-proxy", "127.0.0.1,::1");
        using var http = new HttpClient { BaseAddress = new Uri(system.Url) };

        using var proxied = await SignInAsync(http, system.ApiKey, ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "ci.example.com"),
            ("X-Forwarded-For", "203.0.113.7"), ("Origin", "https://ci.example.com"));
        using var direct = await SignInAsync(http, system.ApiKey, ("Origin", "https://ci.example.com"));
        Assert.Equal(HttpStatusCode.OK, proxied.StatusCode);
        Assert.Contains("secure", proxied.Headers.GetValues("Set-Cookie").Single(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.Forbidden, direct.StatusCode);

        // The session ends when its key's grace does (1.8 s), with nothing but the cookie in use meanwhile.
        using var plain = await SignInAsync(http, system.ApiKey);
        var cookie = plain.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        var keyId = GuidPattern().Match((await system.Admin("key", "list").ExpectSuccess()).Stdout).Value;
        await system.Admin("key", "rotate", keyId, "--grace-hours", "0.0005").ExpectSuccess();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode status;
        do
        {
            await Task.Delay(100, Ct);
            using var request = new HttpRequestMessage(HttpMethod.Get, "/jobs");
            request.Headers.Add("Cookie", cookie);
            using var response = await http.SendAsync(request, Ct);
            status = response.StatusCode;
        }
        while (status == HttpStatusCode.OK && DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.Unauthorized, status);

        var failures = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            using var failed = await SignInAsync(http, "ci_guess_" + i);
            failures.Add(failed.StatusCode);
        }
        using var limited = await SignInAsync(http, "ci_guess");
        Assert.All(failures, s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero);
    }

    private static async Task<HttpResponseMessage> SignInAsync(HttpClient http, string key, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/ui/api/session")
        {
            Content = new StringContent(JsonSerializer.Serialize(new Dictionary<string, string> { ["api_key"] = key }), Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in headers)
            request.Headers.Add(name, value);
        return await http.SendAsync(request, Ct);
    }

    private static DateTime StartTime(JsonElement job) => job.GetProperty("start_time").GetDateTime();

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(100, Ct);
        }
    }

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex GuidPattern();
}
