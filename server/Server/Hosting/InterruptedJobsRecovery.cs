using Ci.Server.Uploads;
using Ci.Store;

namespace Ci.Server.Hosting;

/// <summary>
/// At start-up, before the runner takes jobs: a job still marked running was orphaned by a previous
/// process that died, and nothing will ever end it. Registered before the runner so it runs first.
/// </summary>
public sealed class InterruptedJobsRecovery(IJobStore store, UploadValidator uploads, ILogger<InterruptedJobsRecovery> logger) : IHostedService
{
    public const string Reason = "Server restarted while the job was running.";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var ended = await store.FailInterruptedJobsAsync(Reason, cancellationToken);
        if (ended.Count > 0)
            logger.LogWarning("Marked {Count} interrupted job(s) as failed: {JobIds}", ended.Count, string.Join(", ", ended));
        else
            logger.LogInformation("No interrupted jobs to recover");
        if (uploads.DeleteLeftoverUploads() is var leftovers and > 0)
            logger.LogWarning("Deleted {Count} half-received upload(s) from before the restart", leftovers);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
