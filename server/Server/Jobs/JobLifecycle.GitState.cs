using Ci.Core.Protocol;

namespace Ci.Server.Jobs;

public sealed partial class JobLifecycle
{
    /// <summary>
    /// Keeps the git state a new job's submission came with (<see cref="JobSubmitOptions.GitCommit"/>, branch, dirty);
    /// nothing when it came without (a folder outside git, an old client).
    /// </summary>
    public Task RecordGitStateAsync(Guid jobId, JobSubmitOptions options, CancellationToken cancellationToken) =>
        options.GitCommit is { } commit
            ? store.SetGitStateAsync(jobId, commit, options.GitBranch, options.GitDirty ?? false, cancellationToken)
            : Task.CompletedTask;
}
