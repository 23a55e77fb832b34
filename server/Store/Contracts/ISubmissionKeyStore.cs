namespace Ci.Store;

/// <summary>
/// Idempotent submissions (<c>Idempotency-Key</c>): a user's repeat of a submission with the same key, within
/// <see cref="KeyLifetime"/>, gets the job the first one created instead of a new one. Its own interface so
/// that another store (PostgreSQL) implements it beside <see cref="IJobStore"/>.
/// </summary>
public interface ISubmissionKeyStore
{
    /// <summary>How long a key is remembered.</summary>
    static readonly TimeSpan KeyLifetime = TimeSpan.FromDays(1);

    /// <summary>
    /// Stores a queued job as <see cref="IJobStore.CreateJobAsync"/> does, unless this user already submitted with
    /// <paramref name="idempotencyKey"/> within <see cref="KeyLifetime"/>: then nothing is created, the upload
    /// stays where it is (the caller deletes it), and the earlier job is returned with <c>Created</c> false.
    /// Atomic: two concurrent submissions with one key create one job.
    /// </summary>
    Task<(JobRecord Job, bool Created)> CreateJobOnceAsync(Guid jobId, Guid userId, string idempotencyKey, string uploadPath, CancellationToken cancellationToken);
}
