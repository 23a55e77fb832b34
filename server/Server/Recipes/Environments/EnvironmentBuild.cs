using Ci.Server.Isolation;

namespace Ci.Server.Recipes.Environments;

/// <summary>
/// Where one build of a cached environment happens. <see cref="Folder"/> becomes the cache entry (the job sees it at
/// <see cref="PathInJob"/>); <see cref="Work"/> is a private folder holding only what the key covers, so the build
/// can read nothing of the job that caused it (a later job with the same key must not see it through the cache).
/// </summary>
/// <param name="RunAs">The identity the build runs as: one no job has (null when jobs run as the server's own user).</param>
internal sealed record EnvironmentBuild(string Folder, string PathInJob, string Work, string Home, string Temp, JobUser? RunAs = null)
{
    /// <summary>The entry shown writable at its path in the job, for the build only.</summary>
    public IReadOnlyList<FolderMount> Mounts => [new FolderMount(Folder, PathInJob, Writable: true)];
}
