using System.Globalization;
using Ci.Core.Protocol;
using Ci.Server.Http;
using Ci.Store;

namespace Ci.Server.Auth;

/// <summary>
/// <c>Authorization: Bearer &lt;key&gt;</c> (or the web app's session cookie, see <see cref="WebSessionAuthentication"/>)
/// on every endpoint of a group, as one endpoint filter. Every way a
/// header can be wrong is a 401 with <c>WWW-Authenticate: Bearer</c> and a reason, a known key of an
/// inactive user is a 403; nothing a client sends here can cause a 500.
/// </summary>
public static class ApiKeyAuthentication
{
    // Real keys are "ci_" + 40 characters; anything far longer is not worth a store lookup.
    private const int MaxKeyLength = 256;
    private const string Scheme = "Bearer";
    private static readonly object CallerKey = new();

    /// <summary>The response header telling the client how many whole days ago its API key was created.</summary>
    public const string KeyAgeHeader = "Ci-Key-Age-Days";

    /// <summary>Whole days since the key was created (0 for a key from the future: clocks differ).</summary>
    public static long KeyAgeDays(ApiKeyInfo key, TimeProvider time) =>
        Math.Max(0, (long)(time.GetUtcNow().UtcDateTime - key.CreatedAt).TotalDays);

    /// <summary>Requires a valid API key (or web session) of an active user for every endpoint in the group.</summary>
    public static TBuilder RequireApiKey<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var header = http.Request.Headers.Authorization.ToString();
            // The browser app signs in once and then sends its session cookie; an explicit key always wins.
            var outcome = header.Length == 0 && WebSessionCookie.Read(http.Request) is { } sessionId
                ? await WebSessionAuthentication.AuthenticateAsync(http, sessionId)
                : await AuthenticateAsync(header, http.RequestServices.GetRequiredService<IUserStore>(), http.RequestAborted);
            switch (outcome)
            {
                case Outcome.Authenticated ok:
                    http.Items[CallerKey] = ok.Caller;
                    // Key hygiene: clients warn their user when the key they use gets old.
                    http.Response.Headers[KeyAgeHeader] = KeyAgeDays(ok.Caller.Key, TimeProvider.System).ToString(CultureInfo.InvariantCulture);
                    return await next(context);
                case Outcome.Forbidden forbidden:
                    return ErrorResults.Detail(StatusCodes.Status403Forbidden, forbidden.Detail);
                case Outcome.Unauthorized unauthorized:
                    http.Response.Headers.WWWAuthenticate = Scheme;
                    return ErrorResults.Detail(StatusCodes.Status401Unauthorized, unauthorized.Detail);
                default:
                    throw new InvalidOperationException("Unknown authentication outcome.");
            }
        });

    /// <summary>The authenticated caller of a request that passed <see cref="RequireApiKey{TBuilder}"/>.</summary>
    public static Caller GetCaller(this HttpContext context) =>
        context.Items[CallerKey] as Caller ?? throw new InvalidOperationException("The endpoint does not require an API key.");

    /// <summary>Decides what an <c>Authorization</c> header is worth.</summary>
    public static async Task<Outcome> AuthenticateAsync(string? header, IUserStore store, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(header))
            return new Outcome.Unauthorized("Not authenticated: send 'Authorization: Bearer <api key>'.");
        var space = header.IndexOf(' ');
        if (space < 0 || !header.AsSpan(0, space).Equals(Scheme, StringComparison.OrdinalIgnoreCase))
            return new Outcome.Unauthorized("Invalid authorization scheme: use 'Authorization: Bearer <api key>'.");
        var key = header[(space + 1)..].Trim();
        if (key.Length == 0)
            return new Outcome.Unauthorized("API key is empty.");
        if (key.Length > MaxKeyLength || !key.All(c => c is > ' ' and < '\x7f'))
            return new Outcome.Unauthorized("Malformed API key.");

        var caller = await store.AuthenticateAsync(key, cancellationToken);
        if (caller is null)
            return new Outcome.Unauthorized("Invalid or revoked API key.");
        if (!caller.User.IsActive)
            return new Outcome.Forbidden("User account is inactive.");
        return new Outcome.Authenticated(caller);
    }

    /// <summary>The result of looking at a request's credentials.</summary>
    public abstract record Outcome
    {
        private Outcome() { }

        /// <summary>A valid key of an active user.</summary>
        public sealed record Authenticated(Caller Caller) : Outcome;

        /// <summary>401: no usable key.</summary>
        public sealed record Unauthorized(string Detail) : Outcome;

        /// <summary>403: a valid key of an inactive user.</summary>
        public sealed record Forbidden(string Detail) : Outcome;
    }
}
