using Ci.Store;

namespace Ci.Server.Auth;

/// <summary>
/// The browser's side of a web session: one HttpOnly, SameSite=Strict cookie holding the session's random id
/// (Secure when the request came over TLS). The id is the only secret the browser holds; the API key it was
/// opened with is never sent back to it.
/// </summary>
public static class WebSessionCookie
{
    /// <summary>The cookie's name.</summary>
    public const string Name = "ci_session";

    /// <summary>How long a session lasts from sign-in, whatever happens in between.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    /// <summary>The session id the request carries, if any.</summary>
    public static string? Read(HttpRequest request) =>
        request.Cookies.TryGetValue(Name, out var value) && !string.IsNullOrEmpty(value) ? value : null;

    /// <summary>Sets the cookie for a session just opened.</summary>
    public static void Write(HttpResponse response, CreatedWebSession created) =>
        response.Cookies.Append(Name, created.SessionId, Options(response.HttpContext.Request, created.Session.ExpiresAt));

    /// <summary>Tells the browser to forget the cookie.</summary>
    public static void Clear(HttpResponse response) =>
        response.Cookies.Delete(Name, Options(response.HttpContext.Request, expires: null));

    /// <summary>The attributes every variant of the cookie carries.</summary>
    internal static CookieOptions Options(HttpRequest request, DateTime? expires) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = request.IsHttps,
        Path = "/",
        Expires = expires,
        IsEssential = true,
    };
}
