using Ci.Core.Protocol;
using Ci.Server.Auth;
using Ci.Server.Blobs;
using Ci.Server.Jobs;
using Ci.Server.Metrics;
using Ci.Server.Web;
using Ci.Server.Streaming;
using Ci.Server.Uploads;
using Ci.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ci.Server.Api;

/// <summary>
/// Submitting a project: the upload is received and checked in full before the job is stored, so a
/// refused upload leaves no trace. Rate-limited per API key.
/// </summary>
public static class SubmitApi
{
    public static IEndpointRouteBuilder MapSubmit(this IEndpointRouteBuilder routes)
    {
        var submit = routes.MapGroup("").RequireApiKey();
        SubmissionRateLimit.LimitSubmissions(submit);
        submit.MapPost("/submit-stream", async (HttpContext context, CancellationToken cancellationToken) =>
            new JobEventStreamResult(await SubmitAsync(context, cancellationToken), new StreamStart.FromBeginning(), AnnounceJobId: true));
        submit.MapPost("/submit-async", async (HttpContext context, CancellationToken cancellationToken) =>
            TypedResults.Ok(new SubmitAsyncResponse((await SubmitAsync(context, cancellationToken)).ToString())));
        // The original API's first endpoint; old clients do not expect the job_id event.
        submit.MapPost("/submit", async (HttpContext context, CancellationToken cancellationToken) =>
            new JobEventStreamResult(await SubmitAsync(context, cancellationToken), new StreamStart.FromBeginning(), AnnounceJobId: false));
        return routes;
    }

    /// <summary>Receives, checks and stores the upload as a queued job (which wakes a runner).</summary>
    private static async Task<Guid> SubmitAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var services = context.RequestServices;
        var caller = context.GetCaller();
        // A manifest submission (incremental upload) ends as the same checked zip a multipart upload does.
        var uploadPath = WorkspaceAssembler.IsManifestSubmission(context.Request) && services.GetService<WorkspaceAssembler>() is { } assembler
            ? await assembler.ReceiveAsync(context.Request, caller.User.Id, cancellationToken)
            : await services.GetRequiredService<UploadValidator>().ReceiveAsync(context.Request, cancellationToken);
        services.GetRequiredService<CiMetrics>().UploadAccepted(new FileInfo(uploadPath).Length);
        var jobId = Guid.NewGuid();
        try
        {
            await services.GetRequiredService<JobLifecycle>().QueueAsync(jobId, caller.User.Id, uploadPath, cancellationToken);
        }
        finally
        {
            // The store moved it on success; on failure it must not linger.
            File.Delete(uploadPath);
        }
        WebLinks.Announce(context, jobId);
        services.GetRequiredService<ILoggerFactory>().CreateLogger("Ci.Server.Api.SubmitApi")
            .LogInformation("Job {JobId} queued for user {UserId} (key {KeyId})", jobId, caller.User.Id, caller.Key.Id);
        return jobId;
    }
}
