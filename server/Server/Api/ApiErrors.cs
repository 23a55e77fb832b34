using Ci.Server.Http;

namespace Ci.Server.Api;

/// <summary>
/// The one place that turns what is thrown (rejected uploads, bad requests, bugs) or has no body (404, 405) into
/// <c>{"detail": "..."}</c> answers; handlers return <see cref="ErrorResults"/> themselves.
/// </summary>
public static class ApiErrors
{
    /// <summary>Maps exceptions and empty error responses to detail bodies; a bug becomes a logged, generic 500.</summary>
    public static IApplicationBuilder UseApiErrors(this IApplicationBuilder app)
    {
        app.UseStatusCodePages(async context =>
        {
            var response = context.HttpContext.Response;
            await ErrorResults.WriteAsync(context.HttpContext, response.StatusCode, ReasonPhrase(response.StatusCode));
        });
        return app.UseMiddleware<ApiErrorMiddleware>();
    }

    private static string ReasonPhrase(int statusCode) => statusCode switch
    {
        StatusCodes.Status404NotFound => "Not Found",
        StatusCodes.Status405MethodNotAllowed => "Method Not Allowed",
        _ => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(statusCode) is { Length: > 0 } phrase ? phrase : $"HTTP {statusCode}",
    };
}
