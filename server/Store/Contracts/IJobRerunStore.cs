namespace Ci.Store;

/// <summary>
/// What reruns, retries and flaky-test detection keep: each job's <see cref="JobTestPlan"/>, the flaky tests of a
/// user, and the pruning of kept trees (a job's upload stays after it ends, so that it can be run again).
/// </summary>
public interface IJobRerunStore
{
    /// <summary>
    /// Stores the job's plan, replacing one it had. Before the job is queued (a runner may claim it at once), so the job
    /// need not exist yet: a plan whose job never came is simply never read.
    /// </summary>
    Task SaveTestPlanAsync(Guid jobId, JobTestPlan plan, CancellationToken cancellationToken);

    /// <summary>The job's plan; <see cref="JobTestPlan.None"/> when it has none.</summary>
    Task<JobTestPlan> GetTestPlanAsync(Guid jobId, CancellationToken cancellationToken);

    /// <summary>
    /// The user's tests that were flaky in jobs submitted since <paramref name="since"/>: flagged by a retry, or failed
    /// in one job and passed in another of the same tree content. Newest first, at most <paramref name="limit"/>.
    /// </summary>
    Task<IReadOnlyList<FlakyTest>> ListFlakyTestsAsync(Guid userId, DateTime since, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the uploads of at most <paramref name="batch"/> jobs that ended before <paramref name="endedBefore"/>;
    /// returns how many went (fewer than the batch: nothing more to prune now).
    /// </summary>
    Task<int> DeleteExpiredUploadsAsync(DateTime endedBefore, int batch, CancellationToken cancellationToken);
}
