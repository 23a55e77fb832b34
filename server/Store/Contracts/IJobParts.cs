namespace Ci.Store;

/// <summary>
/// The parts of a running job that any runner may take: a sharded job's shards. The job's own runner (its
/// coordinator) creates them; every runner claims them like jobs, under a lease its heartbeat renews; the one that
/// holds a part stores its end (exit code, report). A part belongs to one run of its job (the job's attempt when the
/// parts were made): if the job is recovered and runs again, the old run's parts can no longer be claimed, renewed or
/// ended, and the new run replaces them.
/// </summary>
public interface IJobParts
{
    /// <summary>
    /// Replaces the parts of a running job with <paramref name="parts"/>, all queued, for the job's current attempt.
    /// False (and nothing stored) when the job is not running.
    /// </summary>
    Task<bool> CreateJobPartsAsync(Guid jobId, IReadOnlyList<JobPartSpec> parts, CancellationToken cancellationToken);

    /// <summary>
    /// Moves the next queued part of a running job to running, held by <paramref name="runnerId"/> until now +
    /// <paramref name="lease"/>, and counts an attempt: the oldest running job's parts first, lowest number first;
    /// only parts of <paramref name="jobId"/> when given. Runners never get the same part. Null when none is queued.
    /// </summary>
    Task<JobPart?> ClaimNextJobPartAsync(string runnerId, TimeSpan lease, Guid? jobId, CancellationToken cancellationToken);

    /// <summary>Extends the leases of these parts; returns the ids the runner still holds (its job still runs, in the same attempt).</summary>
    Task<IReadOnlyList<Guid>> RenewJobPartLeasesAsync(string runnerId, IReadOnlyCollection<Guid> partIds, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Ends a part the runner holds with its result; false when it does not hold it any more.</summary>
    Task<bool> FinishJobPartAsync(Guid partId, string runnerId, JobPartResult result, CancellationToken cancellationToken);

    /// <summary>Puts a part the runner holds back in the queue without counting the attempt (the runner is shutting down).</summary>
    Task<bool> ReleaseJobPartAsync(Guid partId, string runnerId, CancellationToken cancellationToken);

    /// <summary>The parts of the job's current run, by number (empty when it has none).</summary>
    Task<IReadOnlyList<JobPartState>> GetJobPartsAsync(Guid jobId, CancellationToken cancellationToken);

    /// <summary>
    /// Parts of running jobs whose runner stopped renewing their lease: those with fewer than
    /// <paramref name="maxAttempts"/> attempts go back to the queue, the others end as lost (no exit code).
    /// </summary>
    Task<IReadOnlyList<JobPartState>> RecoverExpiredJobPartsAsync(int maxAttempts, CancellationToken cancellationToken);
}

/// <summary>A part to create: its number (from 1), how many the job has, and the test ids it runs.</summary>
public sealed record JobPartSpec(int Number, int Count, IReadOnlyList<string> TestIds);

/// <summary>A claimed part: what a runner needs to run it.</summary>
public sealed record JobPart(Guid Id, Guid JobId, int Number, int Count, IReadOnlyList<string> TestIds, int Attempts);

/// <summary>How a part ended: the test command's exit code, the part's test report (JSON) and, when it did not get to its tests, why.</summary>
public sealed record JobPartResult(int ExitCode, string? ReportJson, string? Reason);

/// <summary>Where a part of a job stands.</summary>
/// <param name="Status"><c>queued</c>, <c>running</c> or <c>done</c>.</param>
/// <param name="Result">Its end; null while it runs, and for a part lost too many times.</param>
public sealed record JobPartState(Guid Id, Guid JobId, int Number, int Count, string Status, string? RunnerId, int Attempts, JobPartResult? Result)
{
    public bool IsDone => Status == JobPartStatuses.Done;
}

/// <summary>The stored names of a part's states.</summary>
public static class JobPartStatuses
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Done = "done";
}
