using Ci.Store;

namespace Ci.Server.Auth;

/// <summary>
/// Authenticates a request by its session cookie, checked against the store on every request so that signing
/// out, revoking the key or deactivating the user takes effect at once; state-changing requests must also pass
/// <see cref="CsrfRules"/>.
/// </summary>
public static class WebSessionAuthentication
{
    private static readonly object SessionKey = new();

    /// <summary>The session's outcome for this request (and the session itself, kept for the endpoint).</summary>
    public static async Task<ApiKeyAuthentication.Outcome> AuthenticateAsync(HttpContext http, string sessionId)
    {
        var sessions = http.RequestServices.GetRequiredService<ISessionStore>();
        var session = await sessions.GetSessionAsync(sessionId, http.RequestAborted);
        if (session is null)
        {
            // Expired, signed out elsewhere, or its key revoked: the browser should stop sending it.
            WebSessionCookie.Clear(http.Response);
            return new ApiKeyAuthentication.Outcome.Unauthorized("Not signed in: the session has ended.");
        }
        if (CsrfRules.Check(http.Request, session.CsrfToken) is { } csrfError)
            return new ApiKeyAuthentication.Outcome.Forbidden(csrfError);
        http.Items[SessionKey] = session;
        return new ApiKeyAuthentication.Outcome.Authenticated(session.Caller);
    }

    /// <summary>The web session the request was authenticated with, or null (a Bearer key, or none).</summary>
    public static WebSession? GetWebSession(this HttpContext context) => context.Items[SessionKey] as WebSession;
}
