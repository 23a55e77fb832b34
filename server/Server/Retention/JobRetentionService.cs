using Ci.Store;

namespace Ci.Server.Retention;

/// <summary>
/// <c>--retention-days</c>: every <see cref="ServerOptions.RetentionInterval"/>, removes the finished jobs that ended
/// more than that many days ago, in batches of <see cref="BatchSize"/> with a pause between them, so that the API's
/// own writes never wait for more than one short transaction. On a shared store every replica runs this and the
/// store lets one at a time prune (<see cref="PrunedJobs.Busy"/>).
/// </summary>
public sealed partial class JobRetentionService(IJobRetention store, ServerOptions options, TimeProvider clock, ILogger<JobRetentionService> logger)
    : BackgroundService
{
    /// <summary>The default of <c>--retention-days</c>.</summary>
    public const int DefaultRetentionDays = 90;

    /// <summary>Jobs removed per transaction.</summary>
    public const int BatchSize = 200;

    /// <summary>Pages of the freed space given back to the file system after each batch (SQLite, 4 KiB each).</summary>
    private const int ReclaimPagesPerBatch = 2048;

    // Between batches: time for the API's writers to take the store.
    private static readonly TimeSpan s_batchPause = TimeSpan.FromMilliseconds(50);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Off the start-up path: the first pass runs once the host has started.
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PruneOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A store hiccup skips one pass; the next comes after the interval.
                LogFailed(logger, e.Message);
            }
            try
            {
                await Task.Delay(options.RetentionInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One pass: every batch of jobs older than the retention, then the space they took.</summary>
    public async Task<PrunedJobs> PruneOnceAsync(CancellationToken cancellationToken)
    {
        var cutoff = clock.GetUtcNow().UtcDateTime.AddDays(-options.RetentionDays);
        var total = PrunedJobs.None;
        while (true)
        {
            var batch = await store.PruneJobsAsync(cutoff, BatchSize, cancellationToken);
            total = total.Add(batch);
            if (batch.Jobs > 0)
                await store.ReclaimSpaceAsync(ReclaimPagesPerBatch, cancellationToken);
            if (batch.Busy || batch.Jobs < BatchSize)
                break;
            await Task.Delay(s_batchPause, cancellationToken);
        }
        if (total.Jobs > 0)
            LogPruned(logger, total.Jobs, total.LogBytes, cutoff);
        return total;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention: removed {Jobs} jobs ({LogBytes} bytes of logs) that ended before {Cutoff:u}")]
    private static partial void LogPruned(ILogger logger, int jobs, long logBytes, DateTime cutoff);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention: pruning failed, trying again later: {Error}")]
    private static partial void LogFailed(ILogger logger, string error);
}
