using Ci.Server.Uploads;
using Ci.Server.Jobs;

namespace Ci.Server.Hosting;

/// <summary>
/// At start-up, before the runner takes jobs: a job still marked running was orphaned by a previous
/// process that died, and nothing will ever end it. Registered before the runner so it runs first. Only for a
/// single-host store: on a shared one, runners recover jobs whose lease expired.
/// </summary>
public sealed class InterruptedJobsRecovery(JobLifecycle lifecycle, UploadValidator uploads, ILogger<InterruptedJobsRecovery> logger) : IHostedService
{
    public const string Reason = "Server restarted while the job was running.";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var ended = await lifecycle.FailInterruptedAsync(Reason, cancellationToken);
        if (ended.Count > 0)
            logger.LogWarning("Marked {Count} interrupted job(s) as failed: {JobIds}", ended.Count, string.Join(", ", ended));
        else
            logger.LogInformation("No interrupted jobs to recover");
        if (uploads.DeleteLeftoverUploads() is var leftovers and > 0)
            logger.LogWarning("Deleted {Count} half-received upload(s) from before the restart", leftovers);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
