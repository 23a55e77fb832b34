namespace Ci.Store;

/// <summary>
/// Jobs held by runner processes under a lease that their heartbeat renews. A runner that stops renewing (it died,
/// or lost the store) loses its jobs: <see cref="RecoverExpiredLeasesAsync"/> puts them back in the queue once and
/// fails them the next time. Only the holder of a lease can finish or hand back its job, so a job never ends twice
/// and never runs on two runners at once.
/// </summary>
public interface IJobLeases
{
    /// <summary>
    /// Moves the next queued job to running, held by <paramref name="runnerId"/> until now + <paramref name="lease"/>,
    /// and counts an attempt. Users take turns (fewest running jobs first, then the user whose last job started
    /// longest ago, then the oldest job); a user already running <paramref name="maxRunningPerUser"/> jobs is skipped
    /// (0: no cap). Runners skip rows another runner is claiming (no two get the same job). Null when no job may start.
    /// </summary>
    Task<JobRecord?> ClaimNextQueuedJobAsync(string runnerId, TimeSpan lease, int maxRunningPerUser, CancellationToken cancellationToken);

    /// <summary>Extends the leases of these jobs; returns the ids the runner still holds (cancelled or lost ones are missing).</summary>
    Task<IReadOnlyList<Guid>> RenewLeasesAsync(string runnerId, IReadOnlyCollection<Guid> jobIds, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>
    /// Running jobs whose lease has expired: those with fewer than <paramref name="maxAttempts"/> attempts go back to
    /// the queue with <paramref name="requeuedLine"/> in their log; the others fail with <paramref name="failedReason"/>
    /// (also their last log line).
    /// </summary>
    Task<IReadOnlyList<RecoveredJob>> RecoverExpiredLeasesAsync(int maxAttempts, string requeuedLine, string failedReason, CancellationToken cancellationToken);

    /// <summary>
    /// Ends a job the runner holds; null when it does not hold it any more (cancelled, or its lease expired and the
    /// job went back to the queue).
    /// </summary>
    Task<JobRecord?> FinishHeldJobAsync(Guid jobId, string runnerId, Ci.Core.Protocol.JobStatus status, bool success, string? reason, CancellationToken cancellationToken);

    /// <summary>
    /// Ends a queued or running job as cancelled and appends <paramref name="logLine"/> to its log, in one transaction
    /// (so that whoever hears of the end finds the line already stored). Null when the job had already ended.
    /// </summary>
    Task<CancelledJob?> CancelJobAsync(Guid jobId, string reason, string logLine, CancellationToken cancellationToken);

    /// <summary>
    /// Puts a job the runner holds back in the queue without counting the attempt (the runner is shutting down), with
    /// <paramref name="logLine"/> in its log. False when it does not hold it.
    /// </summary>
    Task<bool> ReleaseJobAsync(Guid jobId, string runnerId, string logLine, CancellationToken cancellationToken);
}
