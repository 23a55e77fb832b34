using Ci.Server.Http;
using Ci.Server.Metrics;
using Ci.Server.Uploads;

namespace Ci.Server.Api;

/// <summary>Turns exceptions thrown by the endpoints into detail answers (see <see cref="ApiErrors"/>).</summary>
public sealed partial class ApiErrorMiddleware(RequestDelegate next, CiMetrics metrics, ILogger<ApiErrorMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
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
            metrics.UploadRejected(e.StatusCode == StatusCodes.Status413PayloadTooLarge ? "too_large" : "invalid");
            await ErrorResults.WriteAsync(context, e.StatusCode, e.Message);
        }
        catch (BadHttpRequestException e)
        {
            if (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
                metrics.UploadRejected("too_large");
            await ErrorResults.WriteAsync(context, e.StatusCode, e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? "The request body is too large." : $"Bad request: {e.Message}");
        }
        catch (Exception e)
        {
            LogUnhandled(logger, e, context.Request.Method, context.Request.Path);
            await ErrorResults.WriteAsync(context, StatusCodes.Status500InternalServerError, "Internal server error");
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error on {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, PathString path);
}
