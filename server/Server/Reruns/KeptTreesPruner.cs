using Ci.Store;

namespace Ci.Server.Reruns;

/// <summary>
/// Deletes the kept trees of jobs that ended longer ago than <see cref="TreeRetention.Keep"/>, in the background and
/// in small batches (one short store call each), so that pruning never holds the store long.
/// </summary>
public sealed partial class KeptTreesPruner(IJobRerunStore store, TreeRetention retention, ILogger<KeptTreesPruner> logger, TimeProvider? clock = null)
    : BackgroundService
{
    /// <summary>Uploads deleted per store call.</summary>
    public const int BatchSize = 20;

    private static readonly TimeSpan s_interval = TimeSpan.FromMinutes(5);
    private readonly TimeProvider _time = clock ?? TimeProvider.System;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!retention.KeepsTrees) return;
        using var timer = new PeriodicTimer(s_interval, _time);
        do
        {
            try
            {
                await PruneAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogPruneFailed(logger, exception);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One pass: batch after batch until one comes back short. Returns how many trees went.</summary>
    public async Task<int> PruneAsync(CancellationToken cancellationToken)
    {
        var cutoff = _time.GetUtcNow().UtcDateTime - retention.Keep;
        var total = 0;
        int deleted;
        do
        {
            deleted = await store.DeleteExpiredUploadsAsync(cutoff, BatchSize, cancellationToken);
            total += deleted;
            // Between batches: other writers get their turn.
            if (deleted == BatchSize) await Task.Yield();
        }
        while (deleted == BatchSize);
        if (total > 0) LogPruned(logger, total);
        return total;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted the kept trees of {Count} jobs past their retention")]
    private static partial void LogPruned(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pruning kept trees failed; trying again later")]
    private static partial void LogPruneFailed(ILogger logger, Exception exception);
}
