using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ci.Core.Protocol;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ci.Server.Http;

/// <summary>
/// The <c>{"detail": "..."}</c> answers every part of the HTTP edge gives (API, authentication, web session,
/// metrics), so that none of them needs another's folder to say no. What is thrown is mapped in <c>Api/ApiErrors</c>.
/// </summary>
public static class ErrorResults
{
    // Details quote user input ('abc'); the default encoder would send \u0027, which is valid JSON but
    // unreadable to anyone looking at the raw body. These bodies are never embedded in HTML.
    public static readonly JsonSerializerOptions RelaxedJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
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

    /// <summary>Writes an error answer directly, for middleware; nothing when the response has started.</summary>
    public static async Task WriteAsync(HttpContext context, int statusCode, string detail)
    {
        if (context.Response.HasStarted)
            return; // Mid-stream: the status line is gone; the connection just ends.
        context.Response.Clear();
        context.Response.StatusCode = statusCode;
        await context.Response.WriteAsJsonAsync(new ErrorResponse(detail), ErrorJson, cancellationToken: context.RequestAborted);
    }
}
