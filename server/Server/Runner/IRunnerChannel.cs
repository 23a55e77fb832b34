using Ci.Core.Protocol;
using Ci.Server.Jobs;
using Ci.Store;

namespace Ci.Server.Runner;

/// <summary>
/// Everything a runner asks of the rest of the server, shaped like a remote agent's calls (claim, renew, log, end):
/// the runner never touches a store, and <see cref="JobLifecycle"/> alone decides what a job becomes. Today the
/// runner lives in the server's process (<see cref="LocalRunnerChannel"/>); this is the seam a runner on another host
/// would use.
/// </summary>
public interface IRunnerChannel
{
    /// <summary>The oldest queued job, now running and held by <paramref name="runnerId"/> under a lease; null when none.</summary>
    Task<Guid?> ClaimAsync(string runnerId, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Extends the runner's leases; returns the jobs it still holds.</summary>
    Task<IReadOnlyList<Guid>> RenewAsync(string runnerId, IReadOnlyCollection<Guid> jobIds, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Re-queues (or fails) jobs and parts whose runner stopped renewing its lease, here or on other hosts.</summary>
    Task RecoverExpiredAsync(CancellationToken cancellationToken);

    /// <summary>Whether the job was cancelled meanwhile (between the claim and the runner's start of it).</summary>
    Task<bool> IsCancelledAsync(Guid jobId, CancellationToken cancellationToken);

    /// <summary>Appends chunks to the job's log (in one go, consecutive sequences).</summary>
    Task AppendLogAsync(Guid jobId, IReadOnlyList<string> chunks, CancellationToken cancellationToken);

    /// <summary>The job's uploaded project; null when it is missing.</summary>
    Task<Stream?> OpenUploadAsync(Guid jobId, CancellationToken cancellationToken);

    /// <summary>What sharding the job needs: shards asked for, project (else <paramref name="projectInTree"/>) and its recorded durations.</summary>
    Task<ShardingInput> GetShardingAsync(Guid jobId, string projectInTree, CancellationToken cancellationToken);
    /// <summary>Stores <paramref name="content"/> as the job's artifact at <paramref name="path"/>; returns the bytes stored.</summary>
    Task<long> SaveArtifactAsync(Guid jobId, string path, Stream content, CancellationToken cancellationToken);
    /// <summary>What the job's test step was asked for (retries, only some tests).</summary>
    Task<JobTestPlan> GetTestPlanAsync(Guid jobId, CancellationToken cancellationToken);

    /// <summary>Stores the parts of a running job (its shards) for any runner to take; false when the job no longer runs.</summary>
    Task<bool> CreatePartsAsync(Guid jobId, IReadOnlyList<JobPartSpec> parts, CancellationToken cancellationToken);

    /// <summary>The next queued part of a running job (of <paramref name="jobId"/> only, when given), now held by <paramref name="runnerId"/>; null when none.</summary>
    Task<JobPart?> ClaimPartAsync(string runnerId, TimeSpan lease, Guid? jobId, CancellationToken cancellationToken);

    /// <summary>Extends the runner's part leases; returns the parts it still holds (their job still runs).</summary>
    Task<IReadOnlyList<Guid>> RenewPartsAsync(string runnerId, IReadOnlyCollection<Guid> partIds, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Ends a held part with its exit code and report (<paramref name="reason"/>: why it did not get to its tests); false when no longer held.</summary>
    Task<bool> EndPartAsync(Guid partId, string runnerId, int exitCode, TestReport? report, string? reason, CancellationToken cancellationToken);

    /// <summary>Hands a held part back to the queue (this runner is stopping).</summary>
    Task ReleasePartAsync(Guid partId, string runnerId, CancellationToken cancellationToken);

    /// <summary>Where the parts of the job's current run stand.</summary>
    Task<IReadOnlyList<JobPartState>> GetPartsAsync(Guid jobId, CancellationToken cancellationToken);

    /// <summary>Ends the runner's run of the job; returns the job's status now, or null when nothing changed.</summary>
    Task<JobStatus?> EndAsync(Guid jobId, string runnerId, JobOutcome outcome, CancellationToken cancellationToken);
}
