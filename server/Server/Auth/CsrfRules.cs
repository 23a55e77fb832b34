using System.Security.Cryptography;
using System.Text;
using Ci.Core.Protocol;

namespace Ci.Server.Auth;

/// <summary>
/// Cross-site request forgery rules for requests that a browser authenticates with the session cookie. Three
/// layers, any one of which stops a forged request: the cookie is SameSite=Strict; a state-changing request must
/// carry the session's token in <see cref="ProtocolHeaders.CsrfToken"/> (a header another site cannot set, and a token it cannot
/// read); and when the browser says where the request comes from (<c>Origin</c>, <c>Sec-Fetch-Site</c>), that
/// must be this site. Bearer-key requests need none of this: a browser never adds that header by itself.
/// </summary>
public static class CsrfRules
{
    /// <summary>Whether the method only reads (and so needs no token).</summary>
    public static bool IsSafeMethod(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method);

    /// <summary>
    /// Checks a cookie-authenticated request against the session's token; null when it may proceed, else the
    /// reason it may not.
    /// </summary>
    public static string? Check(HttpRequest request, string sessionToken)
    {
        if (IsSafeMethod(request.Method))
            return null;
        if (CheckOrigin(request) is { } originError)
            return originError;
        var sent = request.Headers[ProtocolHeaders.CsrfToken].ToString();
        if (sent.Length == 0)
            return $"CSRF check failed: the {ProtocolHeaders.CsrfToken} header is missing.";
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(sent), Encoding.UTF8.GetBytes(sessionToken)))
            return $"CSRF check failed: the {ProtocolHeaders.CsrfToken} header does not match the session.";
        return null;
    }

    /// <summary>
    /// Null when the request comes from this site as far as the browser says (or it says nothing, as non-browser
    /// clients do), else the reason. Used for sign-in too, where there is no session token yet.
    /// </summary>
    public static string? CheckOrigin(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0)
        {
            var expected = $"{request.Scheme}://{request.Host}";
            return string.Equals(origin, expected, StringComparison.OrdinalIgnoreCase)
                ? null
                : $"CSRF check failed: requests from {origin} are not accepted.";
        }
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        return site.Length == 0 || site is "same-origin" or "none"
            ? null
            : $"CSRF check failed: a {site} request is not accepted.";
    }
}
