using Ci.Tests.Shared;
using System.Net;
using System.Text.Json;

namespace Ci.Server.Tests.Auth;

public sealed class ApiKeyAuthenticationTests
{
    public static TheoryData<string, string?> MalformedHeaders => new()
    {
        { "no header", null },
        { "empty", "" },
        { "only spaces", "   " },
        { "no scheme", "ci_abcdefghijklmnopqrstuvwxyz0123456789ABCD" },
        { "basic scheme", "Basic dXNlcjpwYXNz" },
        { "token scheme", "Token ci_abc" },
        { "bearer without key", "Bearer" },
        { "bearer with blank key", "Bearer    " },
        { "unknown key", "Bearer ci_unknownunknownunknownunknownunknownunkn" },
        { "very long key", "Bearer " + new string('a', 100_000) },
        { "key with inner space", "Bearer ci_abc def" },
        { "non-ASCII key", "Bearer ci_ключ" },
        { "control character", "Bearer ci_abc\u0001" },
        { "two keys", "Bearer a, Bearer b" },
    };

    [Theory]
    [MemberData(nameof(MalformedHeaders))]
    public async Task A_missing_or_malformed_authorization_is_401_with_a_reason_never_500(string why, string? header)
    {
        await using var server = await TestServerHost.StartAsync();
        var client = server.Client();
        var request = new HttpRequestMessage(HttpMethod.Get, "/jobs");
        if (header is not null)
            Assert.True(request.Headers.TryAddWithoutValidation("Authorization", header), why);

        var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        Assert.False(string.IsNullOrWhiteSpace(await DetailAsync(response)));
    }

    [Theory]
    [Stores("Bearer")]
    [Stores("bearer")]
    [Stores("BEARER")]
    [Stores("bEaReR")]
    public async Task The_bearer_scheme_is_case_insensitive(StoreKind kind, string scheme)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (_, key) = await server.CreateUserAsync();
        var request = new HttpRequestMessage(HttpMethod.Get, "/jobs");
        request.Headers.TryAddWithoutValidation("Authorization", $"{scheme} {key}");

        var response = await server.Client().SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory, Stores]
    public async Task A_revoked_key_is_401(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        var info = Assert.Single(await server.Store.ListApiKeysAsync(user.Id, CancellationToken.None));
        await server.Store.RevokeApiKeyAsync(info.Id, CancellationToken.None);

        var response = await server.Client(key).GetAsync("/jobs", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("revoked", await DetailAsync(response));
    }

    [Theory, Stores]
    public async Task A_key_of_an_inactive_user_is_403(StoreKind kind)
    {
        await using var server = await TestServerHost.StartAsync(kind);
        var (user, key) = await server.CreateUserAsync();
        await server.Store.SetUserActiveAsync(user.Id, false, CancellationToken.None);

        var response = await server.Client(key).GetAsync("/jobs", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("inactive", await DetailAsync(response));
    }

    [Theory]
    [Stores("GET", "/jobs")]
    [Stores("GET", "/jobs/00000000-0000-0000-0000-000000000001")]
    [Stores("GET", "/jobs/00000000-0000-0000-0000-000000000001/stream")]
    [Stores("POST", "/jobs/00000000-0000-0000-0000-000000000001/cancel")]
    [Stores("POST", "/submit")]
    [Stores("POST", "/submit-stream")]
    [Stores("POST", "/submit-async")]
    public async Task Every_endpoint_but_health_needs_a_key(StoreKind kind, string method, string path)
    {
        await using var server = await TestServerHost.StartAsync(kind);

        var response = await server.Client().SendAsync(new HttpRequestMessage(new HttpMethod(method), path), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    internal static async Task<string> DetailAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("detail").GetString()!;
    }
}
