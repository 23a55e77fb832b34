using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ci.Core.Protocol;
using Ci.Server.Auth;
using Ci.Tests.Shared;

namespace Ci.Server.Tests.Web;

/// <summary>Sign-in sessions of the web app: the cookie's attributes, what the store keeps, and when a session ends.</summary>
public class WebSessionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string key, string? origin = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/ui/api/session")
        {
            Content = new StringContent(JsonSerializer.Serialize(new Dictionary<string, string> { ["api_key"] = key }), Encoding.UTF8, "application/json"),
        };
        if (origin is not null)
            request.Headers.Add("Origin", origin);
        return await client.SendAsync(request, Ct);
    }

    /// <summary>Signs in and returns the session id (the cookie's value) and the CSRF token.</summary>
    internal static async Task<(string SessionId, string Csrf)> OpenSessionAsync(HttpClient client, string key)
    {
        using var response = await SignInAsync(client, key);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cookie = response.Headers.GetValues("Set-Cookie").Single();
        var sessionId = cookie[(cookie.IndexOf('=') + 1)..cookie.IndexOf(';')];
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return (sessionId, body.RootElement.GetProperty("csrf_token").GetString()!);
    }

    internal static HttpRequestMessage WithSession(HttpMethod method, string path, string sessionId, string? csrf = null, string? origin = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Cookie", $"{WebSessionCookie.Name}={sessionId}");
        if (csrf is not null)
            request.Headers.Add(ProtocolHeaders.CsrfToken, csrf);
        if (origin is not null)
            request.Headers.Add("Origin", origin);
        return request;
    }

    [Theory, Stores]
    public async Task Sign_in_sets_an_HttpOnly_SameSite_strict_cookie_and_the_store_keeps_only_its_hash(StoreKind kind)
    {
        await using var host = await TestServerHost.StartAsync(kind);
        var (user, key) = await host.CreateUserAsync();
        var client = host.Client();

        using var response = await SignInAsync(client, key);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cookie = response.Headers.GetValues("Set-Cookie").Single();
        Assert.StartsWith($"{WebSessionCookie.Name}=", cookie);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(key, cookie);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain(key, body);
        Assert.Contains(user.Email, body);

        var sessionId = cookie[(cookie.IndexOf('=') + 1)..cookie.IndexOf(';')];
        var stored = await host.QueryScalarAsync("SELECT id_hash FROM web_sessions;");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sessionId))), stored);
    }

    [Fact]
    public async Task The_cookie_is_secure_over_tls()
    {
        await using var host = await TestServerHost.StartAsync();
        var (_, key) = await host.CreateUserAsync();
        var client = host.Client();
        client.BaseAddress = new Uri("https://localhost/");

        using var response = await SignInAsync(client, key);

        Assert.Contains("secure", response.Headers.GetValues("Set-Cookie").Single(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory, Stores]
    public async Task Sign_in_refuses_bad_keys_inactive_users_other_sites_and_non_json_bodies(StoreKind kind)
    {
        await using var host = await TestServerHost.StartAsync(kind);
        var (user, key) = await host.CreateUserAsync();
        var client = host.Client();

        using (var bad = await SignInAsync(client, "ci_not_a_key"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
            Assert.False(bad.Headers.Contains("Set-Cookie"));
        }
        using (var forged = await SignInAsync(client, key, origin: "http://evil.example"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
            Assert.False(forged.Headers.Contains("Set-Cookie"));
        }
        using (var form = await client.PostAsync("/ui/api/session", new FormUrlEncodedContent([new("api_key", key)]), Ct))
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, form.StatusCode);
        await host.Store.SetUserActiveAsync(user.Id, false, CancellationToken.None);
        using (var inactive = await SignInAsync(client, key))
            Assert.Equal(HttpStatusCode.Forbidden, inactive.StatusCode);
    }

    [Theory, Stores]
    public async Task The_cookie_authenticates_the_api_and_sees_only_the_users_jobs(StoreKind kind)
    {
        await using var host = await TestServerHost.StartAsync(kind);
        var (user, key) = await host.CreateUserAsync();
        var (other, _) = await host.CreateUserAsync();
        var mine = await host.CreateJobAsync(user.Id);
        var theirs = await host.CreateJobAsync(other.Id);
        var client = host.Client();
        var (sessionId, _) = await OpenSessionAsync(client, key);

        using var list = await client.SendAsync(WithSession(HttpMethod.Get, "/jobs", sessionId), Ct);
        var jobs = await list.Content.ReadFromJsonAsync(CiJsonContext.Default.ListJobSummary, Ct);
        Assert.Equal([mine.Id.ToString()], jobs!.Select(j => j.JobId));
        using var theirJob = await client.SendAsync(WithSession(HttpMethod.Get, $"/jobs/{theirs.Id}", sessionId), Ct);
        Assert.Equal(HttpStatusCode.NotFound, theirJob.StatusCode);
        using var noCookie = await client.GetAsync("/jobs", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, noCookie.StatusCode);
        using var madeUp = await client.SendAsync(WithSession(HttpMethod.Get, "/jobs", "made-up-session"), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, madeUp.StatusCode);
    }

    [Theory, Stores]
    public async Task Cancel_with_the_cookie_needs_the_csrf_token_and_this_sites_origin(StoreKind kind)
    {
        await using var host = await TestServerHost.StartAsync(kind);
        var (user, key) = await host.CreateUserAsync();
        var job = await host.CreateJobAsync(user.Id);
        var client = host.Client();
        var (sessionId, csrf) = await OpenSessionAsync(client, key);
        var path = $"/jobs/{job.Id}/cancel";

        using (var noToken = await client.SendAsync(WithSession(HttpMethod.Post, path, sessionId), Ct))
            Assert.Equal(HttpStatusCode.Forbidden, noToken.StatusCode);
        using (var wrongToken = await client.SendAsync(WithSession(HttpMethod.Post, path, sessionId, csrf: "x" + csrf), Ct))
            Assert.Equal(HttpStatusCode.Forbidden, wrongToken.StatusCode);
        using (var otherSite = await client.SendAsync(WithSession(HttpMethod.Post, path, sessionId, csrf, origin: "http://evil.example"), Ct))
            Assert.Equal(HttpStatusCode.Forbidden, otherSite.StatusCode);
        Assert.Equal(JobStatus.Queued, (await host.Store.GetJobAsync(job.Id, CancellationToken.None))!.Status);

        using var allowed = await client.SendAsync(WithSession(HttpMethod.Post, path, sessionId, csrf, origin: "http://localhost"), Ct);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(JobStatus.Cancelled, (await host.Store.GetJobAsync(job.Id, CancellationToken.None))!.Status);
    }

    [Theory, Stores]
    public async Task Bearer_requests_need_no_csrf_token(StoreKind kind)
    {
        await using var host = await TestServerHost.StartAsync(kind);
        var (user, key) = await host.CreateUserAsync();
        var job = await host.CreateJobAsync(user.Id);

        using var response = await host.Client(key).PostAsync($"/jobs/{job.Id}/cancel", null, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory, Stores]
    public async Task Sign_out_needs_the_token_then_ends_the_session_on_the_server(StoreKind kind)
    {
        await using var host = await TestServerHost.StartAsync(kind);
        var (_, key) = await host.CreateUserAsync();
        var client = host.Client();
        var (sessionId, csrf) = await OpenSessionAsync(client, key);

        using (var forged = await client.SendAsync(WithSession(HttpMethod.Delete, "/ui/api/session", sessionId), Ct))
            Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        using (var signOut = await client.SendAsync(WithSession(HttpMethod.Delete, "/ui/api/session", sessionId, csrf), Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
            Assert.Contains("expires=Thu, 01 Jan 1970", signOut.Headers.GetValues("Set-Cookie").Single(), StringComparison.OrdinalIgnoreCase);
        }
        using var after = await client.SendAsync(WithSession(HttpMethod.Get, "/jobs", sessionId), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Theory]
    [Stores("revoke the key")]
    [Stores("deactivate the user")]
    public async Task Revoking_the_key_or_deactivating_the_user_ends_the_session(StoreKind kind, string change)
    {
        await using var host = await TestServerHost.StartAsync(kind);
        var (user, key) = await host.CreateUserAsync();
        var client = host.Client();
        var (sessionId, _) = await OpenSessionAsync(client, key);
        using (var before = await client.SendAsync(WithSession(HttpMethod.Get, "/jobs", sessionId), Ct))
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        if (change == "revoke the key")
            await host.Store.RevokeApiKeyAsync((await host.Store.ListApiKeysAsync(user.Id, CancellationToken.None)).Single().Id, CancellationToken.None);
        else
            await host.Store.SetUserActiveAsync(user.Id, false, CancellationToken.None);

        using var after = await client.SendAsync(WithSession(HttpMethod.Get, "/jobs", sessionId), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        // Gone for good: turning the user back on does not revive it.
        await host.Store.SetUserActiveAsync(user.Id, true, CancellationToken.None);
        Assert.Null(await host.Store.GetSessionAsync(sessionId, CancellationToken.None));
    }

    [Theory, Stores]
    public async Task An_expired_session_is_refused(StoreKind kind)
    {
        await using var host = await TestServerHost.StartAsync(kind);
        var (user, _) = await host.CreateUserAsync();
        var keyId = (await host.Store.ListApiKeysAsync(user.Id, CancellationToken.None)).Single().Id;
        var created = await host.Store.CreateSessionAsync(keyId, DateTime.UtcNow.AddSeconds(-1), CancellationToken.None);

        using var response = await host.Client().SendAsync(WithSession(HttpMethod.Get, "/jobs", created.SessionId), Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task The_app_is_served_with_a_strict_content_security_policy_and_root_redirects_to_it()
    {
        await using var host = await TestServerHost.StartAsync();
        var client = host.Client();

        using var root = await client.GetAsync("/", Ct);
        Assert.Equal(HttpStatusCode.Redirect, root.StatusCode);
        Assert.Equal("/ui/", root.Headers.Location!.OriginalString);
        foreach (var path in new[] { "/ui/", "/ui/jobs/550e8400-e29b-41d4-a716-446655440000", "/ui/js/main.js", "/ui/app.css" })
        {
            using var page = await client.GetAsync(path, Ct);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            var csp = page.Headers.GetValues("Content-Security-Policy").Single();
            Assert.Contains("script-src 'self'", csp);
            Assert.Contains("style-src 'self'", csp);
            Assert.DoesNotContain("unsafe-inline", csp);
        }
        using var html = await client.GetAsync("/ui/jobs/anything", Ct);
        var text = await html.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain("<script>", text);
        Assert.DoesNotContain("style=", text);
        using var missing = await client.GetAsync("/ui/js/missing.js", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
