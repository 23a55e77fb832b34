using Ci.Core.Protocol;

namespace Ci.Store;

/// <summary>
/// Jobs, their uploads and their logs. The runner and the API share state only through this and the
/// log broadcaster, so that a runner process can live apart from the API (a later PostgreSQL store).
/// </summary>
public interface IJobStore
{
    /// <summary>
    /// Stores a queued job. The store takes the validated upload at <paramref name="uploadPath"/> into its
    /// custody (moves it); it stays until <see cref="DeleteUploadAsync"/>.
    /// </summary>
    Task<JobRecord> CreateJobAsync(Guid jobId, Guid userId, string uploadPath, CancellationToken cancellationToken);

    Task<JobRecord?> GetJobAsync(Guid jobId, CancellationToken cancellationToken);

    /// <summary>A user's jobs, newest first, optionally filtered and paged.</summary>
    Task<JobPage> ListJobsAsync(JobQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Atomically moves the next queued job to <see cref="JobStatus.Running"/> and returns it (users take turns, as
    /// in <see cref="IJobLeases.ClaimNextQueuedJobAsync"/>; one user's jobs in order); null when nothing is queued.
    /// </summary>
    Task<JobRecord?> ClaimNextQueuedJobAsync(CancellationToken cancellationToken);

    /// <summary>Opens the job's upload for reading; null when it is gone.</summary>
    Task<Stream?> OpenUploadAsync(Guid jobId, CancellationToken cancellationToken);

    Task DeleteUploadAsync(Guid jobId, CancellationToken cancellationToken);

    /// <summary>Appends text to the job's log and returns the chunk with its sequence number.</summary>
    Task<LogChunk> AppendLogAsync(Guid jobId, string text, CancellationToken cancellationToken);

    /// <summary>
    /// Appends several chunks in one transaction (all or none), with consecutive sequence numbers in the given order:
    /// the runner's group commit of output that arrived while the previous append was being written.
    /// </summary>
    Task<IReadOnlyList<LogChunk>> AppendLogAsync(Guid jobId, IReadOnlyList<string> texts, CancellationToken cancellationToken);

    /// <summary>The job's log chunks with sequence greater than <paramref name="afterSequence"/>, in order.</summary>
    IAsyncEnumerable<LogChunk> ReadLogAsync(Guid jobId, long afterSequence, CancellationToken cancellationToken);

    /// <summary>The highest sequence number in the job's log (0 when empty).</summary>
    Task<long> GetLastSequenceAsync(Guid jobId, CancellationToken cancellationToken);

    /// <summary>
    /// Ends a job that has not ended yet (queued or running). Returns the ended record, or null when the
    /// job had already ended (a cancel won the race) or does not exist.
    /// </summary>
    Task<JobRecord?> FinishJobAsync(Guid jobId, JobStatus status, bool success, string? reason, CancellationToken cancellationToken);

    /// <summary>
    /// At start-up: jobs left <see cref="JobStatus.Running"/> by a previous process that died are ended as
    /// failed with <paramref name="reason"/> (appended to their log too). Returns the ids it ended.
    /// </summary>
    Task<IReadOnlyList<Guid>> FailInterruptedJobsAsync(string reason, CancellationToken cancellationToken);
}
