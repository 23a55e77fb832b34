using Ci.Core.Protocol;
using Ci.Server.Metrics;
using Microsoft.AspNetCore.Http.Features;

namespace Ci.Server.Streaming;

/// <summary>An endpoint's answer that streams a job as Server-Sent Events until its <c>complete</c>.</summary>
/// <param name="JobId">The job to stream.</param>
/// <param name="Start">Where in the job's log to start.</param>
/// <param name="AnnounceJobId">Send the <c>job_id</c> event first (<c>/submit-stream</c>).</param>
public sealed record JobEventStreamResult(Guid JobId, StreamStart Start, bool AnnounceJobId) : IResult, Microsoft.AspNetCore.Http.Metadata.IEndpointMetadataProvider
{
    /// <summary>Tells the OpenAPI document that this answer is an event stream.</summary>
    public static void PopulateMetadata(System.Reflection.MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(
            StatusCodes.Status200OK, typeof(string), ["text/event-stream"]));

    /// <inheritdoc />
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var feed = httpContext.RequestServices.GetRequiredService<JobEventFeed>();
        using var open = httpContext.RequestServices.GetRequiredService<CiMetrics>().StreamOpened();
        var lifetime = httpContext.RequestServices.GetRequiredService<IHostApplicationLifetime>();
        // A stream of a queued job can wait for hours; it must still let the server shut down.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(httpContext.RequestAborted, lifetime.ApplicationStopping);
        var cancellationToken = stop.Token;

        httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var response = httpContext.Response;
        SseWriter.Start(response);
        try
        {
            // Headers go out now: a watcher of a queued job should know at once that it is connected.
            await response.StartAsync(cancellationToken);
            await response.Body.FlushAsync(cancellationToken);
            if (AnnounceJobId)
                await SseWriter.WriteAsync(response, new JobIdEvent(JobId.ToString()), cancellationToken);
            await foreach (var item in feed.ReadItemsAsync(JobId, Start, cancellationToken))
            {
                if (item.Encoded is { } shared)
                    await SseWriter.WriteAsync(response, shared, cancellationToken);
                else
                    await SseWriter.WriteAsync(response, item.Event, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The watcher left or the server is stopping; the job goes on and can be resumed.
        }
    }
}
