using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ci.Core.Protocol;
using Ci.Server.Metrics;
using Ci.Server.Uploads;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ci.Server.Api;

/// <summary>
/// The one place that turns failures into <c>{"detail": "..."}</c> answers: typed results for handlers,
/// and a middleware for what is thrown (rejected uploads, bad requests, bugs) or has no body (404, 405).
/// </summary>
public static class ApiErrors
{
    // Details quote user input ('abc'); the default encoder would send \u0027, which is valid JSON but
    // unreadable to anyone looking at the raw body. These bodies are never embedded in HTML.
    internal static readonly JsonSerializerOptions RelaxedJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonTypeInfo<ErrorResponse> ErrorJson = new CiJsonContext(new JsonSerializerOptions(RelaxedJson)).ErrorResponse;

    /// <summary>The answer for a job that is unknown, malformed or someone else's.</summary>
    public const string JobNotFound = "Job not found";

    /// <summary>An error answer with <paramref name="statusCode"/> and a human-readable reason.</summary>
    public static JsonHttpResult<ErrorResponse> Detail(int statusCode, string detail) =>
        TypedResults.Json(new ErrorResponse(detail), ErrorJson, statusCode: statusCode);

    /// <summary>404 <c>Job not found</c>.</summary>
    public static JsonHttpResult<ErrorResponse> NotFound() => Detail(StatusCodes.Status404NotFound, JobNotFound);

    /// <summary>400 with a reason.</summary>
    public static JsonHttpResult<ErrorResponse> BadRequest(string detail) => Detail(StatusCodes.Status400BadRequest, detail);

    /// <summary>Maps exceptions and empty error responses to detail bodies; a bug becomes a logged, generic 500.</summary>
    public static IApplicationBuilder UseApiErrors(this IApplicationBuilder app)
    {
        app.UseStatusCodePages(async context =>
        {
            var response = context.HttpContext.Response;
            var reason = ReasonPhrase(response.StatusCode);
            await WriteAsync(context.HttpContext, response.StatusCode, reason);
        });
        return app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away; there is nobody to answer.
            }
            catch (UploadRejectedException e)
            {
                context.RequestServices.GetRequiredService<CiMetrics>().UploadRejected(
                    e.StatusCode == StatusCodes.Status413PayloadTooLarge ? "too_large" : "invalid");
                await WriteAsync(context, e.StatusCode, e.Message);
            }
            catch (BadHttpRequestException e)
            {
                if (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
                    context.RequestServices.GetRequiredService<CiMetrics>().UploadRejected("too_large");
                await WriteAsync(context, e.StatusCode, e.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? "The request body is too large." : $"Bad request: {e.Message}");
            }
            catch (Exception e)
            {
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Ci.Server.Api")
                    .LogError(e, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
                await WriteAsync(context, StatusCodes.Status500InternalServerError, "Internal server error");
            }
        });
    }

    private static async Task WriteAsync(HttpContext context, int statusCode, string detail)
    {
        if (context.Response.HasStarted)
            return; // Mid-stream: the status line is gone; the connection just ends.
        context.Response.Clear();
        context.Response.StatusCode = statusCode;
        await context.Response.WriteAsJsonAsync(new ErrorResponse(detail), ErrorJson, cancellationToken: context.RequestAborted);
    }

    private static string ReasonPhrase(int statusCode) => statusCode switch
    {
        StatusCodes.Status404NotFound => "Not Found",
        StatusCodes.Status405MethodNotAllowed => "Method Not Allowed",
        _ => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(statusCode) is { Length: > 0 } phrase ? phrase : $"HTTP {statusCode}",
    };
}
