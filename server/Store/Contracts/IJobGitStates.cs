namespace Ci.Store;

/// <summary>The git state a submission came with (commit, branch, dirty), kept with its job for lists and filters.</summary>
public interface IJobGitStates
{
    /// <summary>
    /// Records the git state of a job's tree: <paramref name="commit"/> (hex), <paramref name="branch"/> (null when
    /// detached) and <paramref name="dirty"/>. Set once, right after the job is stored.
    /// </summary>
    Task SetGitStateAsync(Guid jobId, string commit, string? branch, bool dirty, CancellationToken cancellationToken);
}
