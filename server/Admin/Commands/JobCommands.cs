using System.Globalization;
using Ci.CommandLine;
using Ci.Store;

namespace Ci.Admin.Commands;

/// <summary>ci-admin jobs ...: housekeeping of the store's jobs.</summary>
internal sealed class JobCommands(AdminConsole console)
{
    /// <summary>Jobs removed per transaction, as the server's retention does: a running server waits at most one batch.</summary>
    private const int BatchSize = 500;

    private const int ReclaimPagesPerBatch = 2048;
    private const int MaxDays = 36_500;

    // A server replica pruning the same store holds its lock for one batch at a time: wait for it, but not forever.
    private static readonly TimeSpan s_busyPause = TimeSpan.FromSeconds(1);
    private const int MaxBusyWaits = 120;

    /// <summary>
    /// Remove finished jobs (completed, failed or cancelled) that ended more than DAYS days ago, with their logs, test
    /// reports, uploads and artifacts, as ci-server's --retention-days does. Safe while the server runs.
    /// </summary>
    /// <param name="olderThan">Age in days: jobs that ended before now minus this many days go.</param>
    /// <param name="dryRun">Say what would be removed; remove nothing.</param>
    /// <param name="cancellationToken">Ctrl+C: stops after the current batch (what was removed stays removed).</param>
    public Task<int> Prune(int olderThan, bool dryRun = false, CancellationToken cancellationToken = default)
    {
        if (olderThan is < 0 or > MaxDays)
            throw new AdminException($"--older-than must be a number of days from 0 to {MaxDays}, not {olderThan}");
        return console.UseStoreAsync(async store =>
        {
            if (store is not IJobRetention retention)
                throw new AdminException("This store cannot prune jobs");
            var cutoff = DateTime.UtcNow.AddDays(-olderThan);
            var result = dryRun
                ? await retention.CountPrunableJobsAsync(cutoff, cancellationToken)
                : await PruneAllAsync(retention, cutoff, cancellationToken);
            var jobs = result.Jobs == 1 ? "1 job" : $"{result.Jobs} jobs";
            console.Out.WriteLine(
                $"{(dryRun ? "Would remove" : "Removed")} {jobs} ({Size(result.LogBytes)} of logs) finished before {cutoff:yyyy-MM-dd HH:mm} UTC.");
            return ExitCodes.Success;
        }, cancellationToken);
    }

    private static async Task<PrunedJobs> PruneAllAsync(IJobRetention retention, DateTime cutoff, CancellationToken cancellationToken)
    {
        var total = PrunedJobs.None;
        for (var busyWaits = 0; ;)
        {
            var batch = await retention.PruneJobsAsync(cutoff, BatchSize, cancellationToken);
            if (batch.Busy)
            {
                if (++busyWaits > MaxBusyWaits)
                    throw new AdminException("Another process kept pruning this store; nothing more was removed. Try again later");
                await Task.Delay(s_busyPause, cancellationToken);
                continue;
            }
            total = total.Add(batch);
            if (batch.Jobs > 0)
                await retention.ReclaimSpaceAsync(ReclaimPagesPerBatch, cancellationToken);
            if (batch.Jobs < BatchSize)
                return total;
        }
    }

    private static string Size(long bytes) => bytes < 1024 * 1024
        ? (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KB"
        : (bytes / (1024.0 * 1024.0)).ToString(bytes < 10 * 1024 * 1024 ? "0.0" : "0", CultureInfo.InvariantCulture) + " MB";
}
