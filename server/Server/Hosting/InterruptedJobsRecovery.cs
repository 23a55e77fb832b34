using Ci.Store;

namespace Ci.Server.Hosting;

/// <summary>
/// At start-up, before the runner takes jobs: a job still marked running was orphaned by a previous
/// process that died, and nothing will ever end it. Registered before the runner so it runs first.
/// </summary>
public sealed class InterruptedJobsRecovery(IJobStore store, ILogger<InterruptedJobsRecovery> logger) : IHostedService
{
    public const string Reason = "Server restarted while the job was running.";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var ended = await store.FailInterruptedJobsAsync(Reason, cancellationToken);
        if (ended.Count > 0)
            logger.LogWarning("Marked {Count} interrupted job(s) as failed: {JobIds}", ended.Count, string.Join(", ", ended));
        else
            logger.LogInformation("No interrupted jobs to recover");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
