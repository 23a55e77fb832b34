namespace Ci.Store;

/// <summary>One stored artifact of a job: its path below the workspace (forward slashes) and its size in bytes.</summary>
public sealed record StoredArtifact(string Path, long Size);

/// <summary>
/// Jobs' artifacts (files a job's tests left that the project asked to keep), stored in the database in parts of
/// <see cref="PartBytes"/> so that any API replica serves them and a download streams part by part. A file is
/// listed only once all its parts are in; artifacts go when their job goes.
/// </summary>
public interface IArtifactStore
{
    /// <summary>The size of one stored part.</summary>
    const int PartBytes = 1024 * 1024;

    /// <summary>Stores <paramref name="content"/> (read to its end) as the job's artifact at <paramref name="path"/>; returns its size.</summary>
    Task<long> SaveArtifactAsync(Guid jobId, string path, Stream content, CancellationToken cancellationToken);

    /// <summary>The job's artifacts in path order (empty when it has none).</summary>
    Task<IReadOnlyList<StoredArtifact>> ListArtifactsAsync(Guid jobId, CancellationToken cancellationToken);

    /// <summary>A stream of the artifact's bytes, read part by part as it is read; null when the job has no such artifact.</summary>
    Task<(StoredArtifact Artifact, Stream Content)?> OpenArtifactAsync(Guid jobId, string path, CancellationToken cancellationToken);

    /// <summary>Removes every artifact of the job (retention, a job run again); nothing when it has none.</summary>
    Task DeleteArtifactsAsync(Guid jobId, CancellationToken cancellationToken);
}
