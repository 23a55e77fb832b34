namespace Ci.Store;

/// <summary>
/// Removing old finished jobs (<c>--retention-days</c>, <c>ci-admin jobs prune</c>) with everything that hangs on them:
/// logs, test reports, uploads, and every other table whose rows reference the job with <c>ON DELETE CASCADE</c>.
/// </summary>
public interface IJobRetention
{
    /// <summary>
    /// Removes at most <paramref name="batchSize"/> finished jobs (completed, failed or cancelled) that ended before
    /// <paramref name="endedBefore"/>, oldest first, in one short transaction. <see cref="PrunedJobs.Busy"/> when another
    /// process is pruning the same store right now (then nothing was removed: try later).
    /// </summary>
    Task<PrunedJobs> PruneJobsAsync(DateTime endedBefore, int batchSize, CancellationToken cancellationToken);

    /// <summary>What <see cref="PruneJobsAsync"/> would remove, in all batches together (a dry run; nothing changes).</summary>
    Task<PrunedJobs> CountPrunableJobsAsync(DateTime endedBefore, CancellationToken cancellationToken);

    /// <summary>
    /// Gives the space that pruning freed back to the file system where the store can do so in small steps (SQLite in
    /// incremental auto-vacuum mode); at most <paramref name="maxPages"/> pages per call. A no-op where the database
    /// reclaims space itself (PostgreSQL's autovacuum).
    /// </summary>
    Task ReclaimSpaceAsync(int maxPages, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes what a submission wrote for job <paramref name="jobId"/> before queueing it (its sharding and test plan)
    /// when the job never came to be (a repeated idempotency key, a failure): no job row, so no prune would find them.
    /// Nothing changes when the job exists.
    /// </summary>
    Task DeleteUnqueuedJobAsync(Guid jobId, CancellationToken cancellationToken);
}

/// <summary>What a prune removed (or, in a dry run, would remove).</summary>
/// <param name="Jobs">Jobs removed.</param>
/// <param name="LogBytes">Bytes of their logs (UTF-8).</param>
/// <param name="Busy">True when another process held the store's pruning lock, so this call did nothing.</param>
public sealed record PrunedJobs(int Jobs, long LogBytes, bool Busy = false)
{
    /// <summary>Nothing removed.</summary>
    public static PrunedJobs None { get; } = new(0, 0);

    /// <summary>The sum of two batches.</summary>
    public PrunedJobs Add(PrunedJobs other) => new(Jobs + other.Jobs, LogBytes + other.LogBytes, Busy || other.Busy);
}
