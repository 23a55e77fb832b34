using Ci.Server.Hosting.Options;
using Microsoft.AspNetCore.Http;

namespace Ci.Server.Tests.Web;

/// <summary>Behind a TLS-terminating proxy: forwarded headers count only from trusted proxies; --public-url says where browsers are.</summary>
public class TrustedProxyTests
{
    private static readonly (string, string)[] s_forwardedHttps =
    [
        ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "ci.example.com"), ("X-Forwarded-For", "203.0.113.7"),
        ("Origin", "https://ci.example.com"),
    ];

    private static Task<TestServerHost> StartAsync(params string[] args) => TestServerHost.StartAsync(configure: options =>
    {
        var parsed = Assert.IsType<CommandLine.Run>(ServerCommandLine.Parse(args)).Options;
        return options with { PublicUrl = parsed.PublicUrl, TrustedProxies = parsed.TrustedProxies };
    });

    [Fact]
    public async Task A_trusted_proxys_https_request_signs_in_with_an_https_origin_and_gets_a_secure_cookie()
    {
        await using var host = await StartAsync("--trusted-proxy", "10.0.0.0/8,192.168.1.5");
        var (_, key) = await host.CreateUserAsync();

        var context = await SignInFromAddress.SendAsync(host, "10.1.2.3", key, s_forwardedHttps);

        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        Assert.Contains("secure", SignInFromAddress.Cookie(context), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("203.0.113.7", context.Connection.RemoteIpAddress!.ToString());
    }

    [Fact]
    public async Task The_same_headers_from_an_untrusted_address_are_ignored()
    {
        await using var host = await StartAsync("--trusted-proxy", "10.0.0.0/8");
        var (_, key) = await host.CreateUserAsync();

        var forged = await SignInFromAddress.SendAsync(host, "198.51.100.9", key, s_forwardedHttps);
        var plain = await SignInFromAddress.SendAsync(host, "198.51.100.9", key, ("X-Forwarded-Proto", "https"), ("Origin", "http://localhost"));

        // Seen as it came: plain http to localhost, so the https origin is another site's.
        Assert.Equal(StatusCodes.Status403Forbidden, forged.Response.StatusCode);
        Assert.Equal("198.51.100.9", forged.Connection.RemoteIpAddress!.ToString());
        Assert.Equal(StatusCodes.Status200OK, plain.Response.StatusCode);
        Assert.DoesNotContain("secure", SignInFromAddress.Cookie(plain), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Without_trusted_proxies_loopback_is_not_trusted_either()
    {
        await using var host = await TestServerHost.StartAsync();
        var (_, key) = await host.CreateUserAsync();

        var context = await SignInFromAddress.SendAsync(host, "127.0.0.1", key, s_forwardedHttps);

        Assert.Equal(StatusCodes.Status403Forbidden, context.Response.StatusCode);
    }

    [Fact]
    public async Task The_public_url_is_the_origin_sign_in_accepts_and_makes_the_cookie_secure()
    {
        await using var host = await StartAsync("--public-url", "https://ci.example.com");
        var (_, key) = await host.CreateUserAsync();

        var fromPublic = await SignInFromAddress.SendAsync(host, "198.51.100.9", key, ("Origin", "https://ci.example.com"));
        var fromInside = await SignInFromAddress.SendAsync(host, "198.51.100.9", key, ("Origin", "http://localhost"));

        Assert.Equal(StatusCodes.Status200OK, fromPublic.Response.StatusCode);
        Assert.Contains("secure", SignInFromAddress.Cookie(fromPublic), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(StatusCodes.Status403Forbidden, fromInside.Response.StatusCode);
    }

    [Theory]
    [InlineData("--trusted-proxy: 'nope' is not an address or CIDR range", "--trusted-proxy", "nope")]
    [InlineData("--trusted-proxy: '10.0.0.0/40' is not an address or CIDR range", "--trusted-proxy", "10.0.0.0/40")]
    [InlineData("--trusted-proxy: give at least one", "--trusted-proxy", ",")]
    [InlineData("--public-url: 'ftp://x' is not an http(s) address", "--public-url", "ftp://x")]
    [InlineData("--public-url: 'https://ci.example.com/ci' is not an http(s) address without a path", "--public-url", "https://ci.example.com/ci")]
    public void Bad_proxy_options_are_one_line_saying_what_is_wrong(string expected, params string[] args)
    {
        var invalid = Assert.IsType<CommandLine.Invalid>(ServerCommandLine.Parse(args));

        Assert.Contains(expected, invalid.Error);
        Assert.DoesNotContain('\n', invalid.Error);
    }
}
