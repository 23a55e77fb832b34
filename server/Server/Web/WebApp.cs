namespace Ci.Server.Web;

/// <summary>
/// The browser app under <c>/ui/</c>: one HTML shell for every page (<c>/ui/</c>, <c>/ui/jobs/{id}</c>), its
/// scripts and styles, all embedded in the binary, behind a strict Content-Security-Policy. The app talks to the
/// same JSON API as <c>ci</c>, authenticated by its session cookie (<see cref="SessionApi"/>).
/// </summary>
public static class WebApp
{
    /// <summary>The app's base path.</summary>
    public const string BasePath = "/ui/";

    /// <summary>
    /// Only this server's own scripts, styles and API; no inline script or style, no plugins, no framing, and
    /// no form may post elsewhere.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private const string Shell = "index.html";

    public static IEndpointRouteBuilder MapWebApp(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/", () => TypedResults.Redirect(BasePath)).ExcludeFromDescription();
        routes.MapMethods(BasePath + "{**path}", [HttpMethods.Get, HttpMethods.Head], (string? path, HttpContext context, EmbeddedAssets assets) =>
            ServeAsync(assets, path ?? "", context)).ExcludeFromDescription();
        return routes;
    }

    /// <summary>Sets the browser-hardening headers on every answer under <c>/ui</c>.</summary>
    public static IApplicationBuilder UseWebSecurityHeaders(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            if (context.Request.Path.StartsWithSegments("/ui"))
            {
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
            }
            return next(context);
        });

    private static async Task ServeAsync(EmbeddedAssets assets, string path, HttpContext context)
    {
        if (assets.Find(path) is { } asset)
        {
            await EmbeddedAssets.WriteAsync(context, asset);
            return;
        }
        // A page of the app (no file extension): the shell, whose script routes on the path.
        if (!Path.HasExtension(path) && !path.StartsWith("api/", StringComparison.Ordinal))
        {
            await EmbeddedAssets.WriteAsync(context, assets.Find(Shell)!);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status404NotFound;
    }
}
