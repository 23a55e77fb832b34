using Ci.Core.Protocol;
using Ci.Server.Reruns;
using Ci.Store;

namespace Ci.Server.Jobs;

// Reruns and test plans: a job queued from an earlier job's kept tree, and what a job's test step was asked for.
public sealed partial class JobLifecycle
{
    /// <summary>The answer when the earlier job's tree was pruned (or never kept).</summary>
    public const string TreeNotKeptDetail = "The tree of this job is no longer kept; submit again.";

    /// <summary>What the job's test step was asked for (retries, only some tests).</summary>
    public Task<JobTestPlan> GetTestPlanAsync(Guid jobId, CancellationToken cancellationToken) => store.GetTestPlanAsync(jobId, cancellationToken);

    /// <summary>Stores what a job's test step is asked for; before the job is queued (a runner may claim it at once).</summary>
    public Task SaveTestPlanAsync(Guid jobId, JobTestPlan plan, CancellationToken cancellationToken) =>
        store.SaveTestPlanAsync(jobId, plan, cancellationToken);

    /// <summary>Removes what <see cref="SaveShardingAsync"/> and <see cref="SaveTestPlanAsync"/> kept for a job that was never queued.</summary>
    public Task ForgetUnqueuedAsync(Guid jobId, CancellationToken cancellationToken) =>
        store.DeleteUnqueuedJobAsync(jobId, cancellationToken);

    /// <summary>Stores a checked upload as a queued job with its test plan.</summary>
    public async Task<JobRecord> QueueAsync(Guid jobId, Guid userId, string uploadPath, JobTestPlan plan, CancellationToken cancellationToken)
    {
        await SaveTestPlanAsync(jobId, plan, cancellationToken);
        return await QueueAsync(jobId, userId, uploadPath, cancellationToken);
    }

    /// <summary>
    /// Queues a new job of <paramref name="earlier"/>'s owner from its kept tree: every test, or with
    /// <paramref name="onlyFailed"/> those that failed or errored in it. The new job keeps the earlier one's retries and
    /// tree hash. Throws <see cref="RerunRefusedException"/> when the tree is gone or there is nothing to rerun.
    /// </summary>
    public async Task<JobRecord> QueueRerunAsync(JobRecord earlier, bool onlyFailed, string tempDirectory, CancellationToken cancellationToken)
    {
        IReadOnlyList<string>? only = null;
        if (onlyFailed)
        {
            var report = await store.GetTestReportAsync(earlier.Id, cancellationToken)
                ?? throw new RerunRefusedException(StatusCodes.Status409Conflict, "This job has no test report: rerun it without --failed.");
            only = RerunSelection.FailedTests(report);
            if (only.Count == 0) throw new RerunRefusedException(StatusCodes.Status409Conflict, "No test failed in this job: nothing to rerun with --failed.");
        }
        var copy = Path.Combine(tempDirectory, $"rerun-{Guid.NewGuid():N}.zip");
        try
        {
            await using (var tree = await store.OpenUploadAsync(earlier.Id, cancellationToken))
            {
                if (tree is null) throw new RerunRefusedException(StatusCodes.Status410Gone, TreeNotKeptDetail);
                await using var file = new FileStream(copy, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous);
                await tree.CopyToAsync(file, cancellationToken);
            }
            var previous = await store.GetTestPlanAsync(earlier.Id, cancellationToken);
            var plan = new JobTestPlan(previous.Retries, only, previous.TreeHash, earlier.Id);
            return await QueueAsync(Guid.NewGuid(), earlier.UserId, copy, plan, cancellationToken);
        }
        finally
        {
            File.Delete(copy);
        }
    }

    /// <summary>Whether an ended job's upload goes now; kept trees go later (<see cref="KeptTreesPruner"/>).</summary>
    private bool DeletesTreeAtEnd => trees is not { KeepsTrees: true };
}
