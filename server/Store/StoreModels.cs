using Ci.Core.Protocol;

namespace Ci.Store;

/// <summary>A person who may submit jobs.</summary>
public sealed record User(Guid Id, string Name, string Email, DateTime CreatedAt, bool IsActive);

/// <summary>An API key's metadata. The key itself is never stored, only its SHA-256 hash.</summary>
public sealed record ApiKeyInfo(Guid Id, Guid UserId, string Name, DateTime CreatedAt, DateTime? LastUsedAt, bool IsActive);

/// <summary>A key just created: <see cref="Key"/> is shown once and never again.</summary>
public sealed record CreatedApiKey(ApiKeyInfo Info, string Key);

/// <summary>Who a presented key belongs to. <see cref="User"/> may be inactive (the API answers 403).</summary>
public sealed record Caller(User User, ApiKeyInfo Key);

/// <summary>A job as stored. <see cref="Reason"/> says why a job failed or was cancelled.</summary>
public sealed record JobRecord(
    Guid Id,
    Guid UserId,
    JobStatus Status,
    bool? Success,
    DateTime CreatedAt,
    DateTime? StartTime,
    DateTime? EndTime,
    string? Reason)
{
    /// <summary>The wire form of this job.</summary>
    public JobSummary ToSummary() => new(Id.ToString(), Status, Success, StartTime, EndTime);

    /// <summary>The wire form of this job with its test counts (extension fields; none when null).</summary>
    public JobSummary ToSummary(TestCounts? tests) => ToSummary().WithTests(tests);
}

/// <summary>
/// One piece of a job's log. <see cref="Sequence"/> starts at 1 and has no gaps within a job; it is the
/// SSE <c>id:</c> of the log event that carries the text.
/// </summary>
public sealed record LogChunk(long Sequence, string Text);

/// <summary>A page of <see cref="IJobStore.ListJobsAsync"/>: newest first.</summary>
public sealed record JobQuery(Guid UserId, JobStatus? Status = null, int? Limit = null, string? Cursor = null);

/// <summary>A page of jobs and the cursor of the next page (null when this is the last).</summary>
public sealed record JobPage(IReadOnlyList<JobRecord> Jobs, string? NextCursor);

/// <summary>Thrown when a user with the same email already exists.</summary>
public sealed class DuplicateEmailException(string email) : Exception($"User with email {email} already exists")
{
    /// <summary>The email that is taken.</summary>
    public string Email { get; } = email;
}
