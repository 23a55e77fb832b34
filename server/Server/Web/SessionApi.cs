using Ci.Core.Protocol;
using Ci.Server.Http;
using Ci.Server.Auth;
using Ci.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ci.Server.Web;

/// <summary>
/// Signing the web app in and out: an API key is exchanged once for a server-side session whose id travels
/// only in an HttpOnly cookie (see <see cref="WebSessionCookie"/>).
/// </summary>
public static class SessionApi
{
    /// <summary>Where the session endpoints live.</summary>
    public const string Path = "/ui/api/session";

    public static IEndpointRouteBuilder MapSessions(this IEndpointRouteBuilder routes)
    {
        routes.MapPost(Path, SignInAsync).WithTags("Web session").WithSummary("Sign in with an API key; sets the session cookie.");
        routes.MapGet(Path, GetSession).RequireApiKey().WithTags("Web session").WithSummary("The signed-in user and the CSRF token.");
        routes.MapDelete(Path, SignOutAsync).WithTags("Web session").WithSummary("Sign out: ends the session on the server.");
        return routes;
    }

    private static async Task<Results<Ok<SessionInfo>, JsonHttpResult<ErrorResponse>>> SignInAsync(
        SignInRequest request, HttpContext context, IUserStore users, ISessionStore sessions, SignInThrottle throttle,
        CancellationToken cancellationToken)
    {
        // No session yet, so no token: a JSON body (which another site cannot send without a preflight) and
        // the browser's Origin are what stop a forged sign-in.
        if (CsrfRules.CheckOrigin(context.Request) is { } originError)
            return ErrorResults.Detail(StatusCodes.Status403Forbidden, originError);
        if (throttle.Refuse(context) is { } tooMany)
            return ErrorResults.Detail(StatusCodes.Status429TooManyRequests, tooMany);
        var key = request.ApiKey?.Trim();
        if (string.IsNullOrEmpty(key))
            return ErrorResults.BadRequest("Enter an API key.");
        switch (await ApiKeyAuthentication.AuthenticateAsync($"Bearer {key}", users, cancellationToken))
        {
            case ApiKeyAuthentication.Outcome.Authenticated ok:
                var created = await sessions.CreateSessionAsync(ok.Caller.Key.Id, DateTime.UtcNow + WebSessionCookie.Lifetime, cancellationToken);
                WebSessionCookie.Write(context.Response, created);
                return TypedResults.Ok(Info(created.Session));
            case ApiKeyAuthentication.Outcome.Forbidden forbidden:
                throttle.Failed(context);
                return ErrorResults.Detail(StatusCodes.Status403Forbidden, forbidden.Detail);
            case ApiKeyAuthentication.Outcome.Unauthorized:
                throttle.Failed(context);
                return ErrorResults.Detail(StatusCodes.Status401Unauthorized, "Invalid or revoked API key.");
            default:
                throw new InvalidOperationException("Unknown authentication outcome.");
        }
    }

    private static Ok<SessionInfo> GetSession(HttpContext context) =>
        TypedResults.Ok(context.GetWebSession() is { } session
            ? Info(session)
            : new SessionInfo(context.GetCaller().User.Name, context.GetCaller().User.Email, CsrfToken: null, ExpiresAt: null));

    private static async Task<Results<NoContent, JsonHttpResult<ErrorResponse>>> SignOutAsync(
        HttpContext context, ISessionStore sessions, CancellationToken cancellationToken)
    {
        if (WebSessionCookie.Read(context.Request) is { } sessionId)
        {
            // Signing someone out is a change of state too: only the page holding the token may do it.
            if (await sessions.GetSessionAsync(sessionId, cancellationToken) is { } session)
            {
                if (CsrfRules.Check(context.Request, session.CsrfToken) is { } csrfError)
                    return ErrorResults.Detail(StatusCodes.Status403Forbidden, csrfError);
                await sessions.DeleteSessionAsync(sessionId, cancellationToken);
            }
            WebSessionCookie.Clear(context.Response);
        }
        return TypedResults.NoContent();
    }

    private static SessionInfo Info(WebSession session) =>
        new(session.Caller.User.Name, session.Caller.User.Email, session.CsrfToken, session.ExpiresAt);
}
