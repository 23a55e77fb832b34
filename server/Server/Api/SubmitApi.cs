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
/// refused upload leaves no trace. Rate-limited per API key. A submission with an <c>Idempotency-Key</c>
/// header that repeats an earlier one of the same user answers with the earlier job (its stream from the
/// beginning, or its id) and runs nothing again, so a client may retry after any network failure.
/// </summary>
public static class SubmitApi
{
    /// <summary>The response header that says a submission repeated an earlier one (its job is answered again).</summary>
    public const string IdempotentReplayedHeader = "Idempotent-Replayed";

    private const int MaxIdempotencyKeyLength = 200;

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
        var idempotencyKey = IdempotencyKey(context.Request);
        // A manifest submission (incremental upload) ends as the same checked zip a multipart upload does.
        var uploadPath = WorkspaceAssembler.IsManifestSubmission(context.Request) && services.GetService<WorkspaceAssembler>() is { } assembler
            ? await assembler.ReceiveAsync(context.Request, caller.User.Id, cancellationToken)
            : await services.GetRequiredService<UploadValidator>().ReceiveAsync(context.Request, cancellationToken);
        services.GetRequiredService<CiMetrics>().UploadAccepted(new FileInfo(uploadPath).Length);
        var jobId = Guid.NewGuid();
        try
        {
            var lifecycle = services.GetRequiredService<JobLifecycle>();
            if (idempotencyKey is null)
            {
                await lifecycle.QueueAsync(jobId, caller.User.Id, uploadPath, cancellationToken);
            }
            else
            {
                var (job, created) = await lifecycle.QueueOnceAsync(jobId, caller.User.Id, idempotencyKey, uploadPath, cancellationToken);
                if (!created)
                {
                    context.Response.Headers[IdempotentReplayedHeader] = "true";
                    WebLinks.Announce(context, job.Id);
                    return job.Id;
                }
            }
        }
        finally
        {
            // The store moved it on success; on failure or a repeat it must not linger.
            File.Delete(uploadPath);
        }
        WebLinks.Announce(context, jobId);
        services.GetRequiredService<ILoggerFactory>().CreateLogger("Ci.Server.Api.SubmitApi")
            .LogInformation("Job {JobId} queued for user {UserId} (key {KeyId})", jobId, caller.User.Id, caller.Key.Id);
        return jobId;
    }

    private static string? IdempotencyKey(HttpRequest request)
    {
        var values = request.Headers[ProtocolHeaders.IdempotencyKey];
        if (values.Count == 0)
            return null;
        var key = values.Count == 1 ? values[0]?.Trim() : null;
        if (string.IsNullOrEmpty(key) || key.Length > MaxIdempotencyKeyLength || !key.All(c => c is > ' ' and < '\x7f'))
            throw UploadRejectedException.BadRequest($"Invalid {ProtocolHeaders.IdempotencyKey}: send one value of 1 to {MaxIdempotencyKeyLength} printable ASCII characters.");
        return key;
    }
}
