using Ci.Core.Protocol;
using Ci.Server.Auth;
using Microsoft.AspNetCore.Http;

namespace Ci.Server.Tests.Web;

public class CsrfRulesTests
{
    private const string Token = "the-session-token";

    private static HttpRequest Request(string method, string? token = null, string? origin = null, string? fetchSite = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("ci.example:8000");
        if (token is not null)
            context.Request.Headers[ProtocolHeaders.CsrfToken] = token;
        if (origin is not null)
            context.Request.Headers.Origin = origin;
        if (fetchSite is not null)
            context.Request.Headers["Sec-Fetch-Site"] = fetchSite;
        return context.Request;
    }

    [Theory]
    [InlineData("GET", null, null, null, true)]
    [InlineData("HEAD", null, "http://evil.example", null, true)]
    [InlineData("POST", Token, "http://ci.example:8000", "same-origin", true)]
    [InlineData("POST", Token, null, null, true)]
    [InlineData("DELETE", Token, null, "same-origin", true)]
    [InlineData("POST", null, "http://ci.example:8000", "same-origin", false)]
    [InlineData("POST", "", "http://ci.example:8000", null, false)]
    [InlineData("POST", "wrong-token", "http://ci.example:8000", null, false)]
    [InlineData("POST", Token + "x", null, null, false)]
    [InlineData("POST", Token, "http://evil.example", null, false)]
    [InlineData("POST", Token, "https://ci.example:8000", null, false)]
    [InlineData("POST", Token, "null", null, false)]
    [InlineData("POST", Token, null, "cross-site", false)]
    [InlineData("PUT", Token, null, "same-site", false)]
    public void A_state_changing_request_needs_the_token_and_this_sites_origin(string method, string? token, string? origin, string? fetchSite, bool allowed)
    {
        var error = CsrfRules.Check(Request(method, token, origin, fetchSite), Token);

        Assert.Equal(allowed, error is null);
        if (error is not null)
            Assert.StartsWith("CSRF check failed:", error);
    }
}
