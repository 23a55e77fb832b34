using Ci.Server.Uploads;
using Ci.Server.Jobs;

namespace Ci.Server.Hosting;

/// <summary>
/// At start-up, before the runner takes jobs: a job still marked running was orphaned by a previous
/// process that died, and nothing will ever end it. Registered before the runner so it runs first. Only for a
/// single-host store: on a shared one, runners recover jobs whose lease expired. (What such a job left on the host,
/// its folders and network, the runner's own start-up removes: JobSite.DeleteLeftovers.)
/// </summary>
public sealed partial class InterruptedJobsRecovery(JobLifecycle lifecycle, UploadValidator uploads, ILogger<InterruptedJobsRecovery> logger) : IHostedService
{
    public const string Reason = "Server restarted while the job was running.";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var ended = await lifecycle.FailInterruptedAsync(Reason, cancellationToken);
        if (ended.Count > 0)
            LogInterrupted(logger, ended.Count, string.Join(", ", ended));
        else
            LogNoneInterrupted(logger);
        if (uploads.DeleteLeftoverUploads() is var leftovers and > 0)
            LogLeftoverUploads(logger, leftovers);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(LogLevel.Warning, "Marked {Count} interrupted job(s) as failed: {JobIds}")]
    private static partial void LogInterrupted(ILogger logger, int count, string jobIds);

    [LoggerMessage(LogLevel.Information, "No interrupted jobs to recover")]
    private static partial void LogNoneInterrupted(ILogger logger);

    [LoggerMessage(LogLevel.Warning, "Deleted {Count} half-received upload(s) from before the restart")]
    private static partial void LogLeftoverUploads(ILogger logger, int count);
}
