using Ci.Core.Protocol;
using Ci.Server.Auth;
using Ci.Server.Blobs;
using Ci.Server.Jobs;
using Ci.Server.Metrics;
using Ci.Server.Reruns;
using Ci.Server.Uploads;
using Ci.Server.Web;
using Ci.Store;

namespace Ci.Server.Api;

/// <summary>
/// Receives a submission: the upload is checked in full before the job is stored, so a refused upload leaves no
/// trace; a repeated <c>Idempotency-Key</c> answers with the earlier job and stores nothing.
/// </summary>
/// <param name="assembler">The incremental-upload path; null when the blob store is off.</param>
public sealed partial class SubmissionIntake(
    UploadValidator validator, CiMetrics metrics, JobLifecycle lifecycle, ILogger<SubmissionIntake> logger, WorkspaceAssembler? assembler = null)
{
    private const int MaxIdempotencyKeyLength = 200;

    /// <summary>The response header that says a submission repeated an earlier one (its job is answered again).</summary>
    public const string IdempotentReplayedHeader = "Idempotent-Replayed";

    /// <summary>Receives, checks and stores the upload as a queued job (which wakes a runner); returns the job's id.</summary>
    public async Task<Guid> SubmitAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var caller = context.GetCaller();
        var idempotencyKey = IdempotencyKey(context.Request);
        var options = SubmitOptions(context.Request);
        // A manifest submission (incremental upload) ends as the same checked zip a multipart upload does.
        var uploadPath = WorkspaceAssembler.IsManifestSubmission(context.Request) && assembler is not null
            ? await assembler.ReceiveAsync(context.Request, caller.User.Id, cancellationToken)
            : await validator.ReceiveAsync(context.Request, cancellationToken);
        metrics.UploadAccepted(new FileInfo(uploadPath).Length);
        var jobId = Guid.NewGuid();
        var queued = false;
        try
        {
            if (options.Shards is not null || options.Project is not null)
                await lifecycle.SaveShardingAsync(jobId, new JobSharding(options.Shards, options.Project), cancellationToken);
            await lifecycle.SaveTestPlanAsync(jobId, await SubmissionTestPlan.ForAsync(options, uploadPath, cancellationToken), cancellationToken);
            if (idempotencyKey is null)
            {
                await lifecycle.QueueAsync(jobId, caller.User.Id, uploadPath, cancellationToken);
                queued = true;
                await lifecycle.RecordGitStateAsync(jobId, options, cancellationToken);
            }
            else
            {
                var (job, created) = await lifecycle.QueueOnceAsync(jobId, caller.User.Id, idempotencyKey, uploadPath, cancellationToken);
                queued = created;
                if (!created)
                {
                    context.Response.Headers[IdempotentReplayedHeader] = "true";
                    WebLinks.Announce(context, job.Id);
                    return job.Id;
                }
                await lifecycle.RecordGitStateAsync(jobId, options, cancellationToken);
            }
        }
        finally
        {
            // The store moved it on success; on failure or a repeat it must not linger.
            File.Delete(uploadPath);
            // Nor what was kept for a job that never came to be: without a job row, retention would never find it.
            if (!queued)
                await lifecycle.ForgetUnqueuedAsync(jobId, CancellationToken.None);
        }
        WebLinks.Announce(context, jobId);
        LogQueued(logger, jobId, caller.User.Id, caller.Key.Id);
        return jobId;
    }

    /// <summary>The submission's <c>X-CI-*</c> options (<see cref="JobSubmitOptions"/>); a malformed one is refused (400).</summary>
    private static JobSubmitOptions SubmitOptions(HttpRequest request) =>
        JobSubmitOptions.FromHeaders(name => request.Headers[name] is { Count: > 0 } values ? values[0] : null, out var error)
        ?? throw UploadRejectedException.BadRequest(error!);

    private static string? IdempotencyKey(HttpRequest request)
    {
        var values = request.Headers[ProtocolHeaders.IdempotencyKey];
        if (values.Count == 0)
            return null;
        var key = values.Count == 1 ? values[0]?.Trim() : null;
        if (string.IsNullOrEmpty(key) || key.Length > MaxIdempotencyKeyLength || !key.All(c => c is > ' ' and < '\x7f'))
            throw UploadRejectedException.BadRequest(
                $"Invalid {ProtocolHeaders.IdempotencyKey}: send one value of 1 to {MaxIdempotencyKeyLength} printable ASCII characters.");
        return key;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} queued for user {UserId} (key {KeyId})")]
    private static partial void LogQueued(ILogger logger, Guid jobId, Guid userId, Guid keyId);
}
