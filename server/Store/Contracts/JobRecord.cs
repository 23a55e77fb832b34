using Ci.Core.Protocol;

namespace Ci.Store;

/// <summary>
/// A job as stored. <see cref="Reason"/> says why a job failed or was cancelled; the git fields are the submission's
/// (<see cref="IJobGitStates"/>), null outside git.
/// </summary>
public sealed record JobRecord(
    Guid Id,
    Guid UserId,
    JobStatus Status,
    bool? Success,
    DateTime CreatedAt,
    DateTime? StartTime,
    DateTime? EndTime,
    string? Reason,
    string? GitCommit = null,
    string? GitBranch = null,
    bool? GitDirty = null)
{
    /// <summary>The wire form of this job.</summary>
    public JobSummary ToSummary() => new(Id.ToString(), Status, Success, StartTime, EndTime,
        GitCommit: GitCommit, GitBranch: GitBranch, GitDirty: GitDirty);

    /// <summary>The wire form of this job with its test counts (extension fields; none when null).</summary>
    public JobSummary ToSummary(TestCounts? tests) => ToSummary().WithTests(tests);
}
