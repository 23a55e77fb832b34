using Ci.Server.Runner;

namespace Ci.Server.Environments;

/// <summary>
/// Where one build of a cached environment happens. <see cref="Folder"/> becomes the cache entry (the job sees it at
/// <see cref="PathInJob"/>); <see cref="Work"/> is a private folder holding only what the key covers, so the build
/// can read nothing of the job that caused it (a later job with the same key must not see it through the cache).
/// </summary>
internal sealed record EnvironmentBuild(string Folder, string PathInJob, string Work, string Home, string Temp)
{
    /// <summary>The entry shown writable at its path in the job, for the build only.</summary>
    public IReadOnlyList<FolderMount> Mounts => [new FolderMount(Folder, PathInJob, Writable: true)];
}

/// <summary>A job's use of a cached environment; the cache never evicts it before it is disposed.</summary>
internal sealed class EnvironmentLease : IDisposable
{
    private readonly Action _release;
    private int _released;

    public EnvironmentLease(EnvironmentKey key, string folder, string pathInJob, bool reused, Action release)
    {
        Key = key;
        Folder = folder;
        PathInJob = pathInJob;
        Reused = reused;
        _release = release;
    }

    public EnvironmentKey Key { get; }

    /// <summary>The entry on the server's disk.</summary>
    public string Folder { get; }

    /// <summary>Where the job's processes see it (the fixed sandbox path, or <see cref="Folder"/> without a sandbox).</summary>
    public string PathInJob { get; }

    /// <summary>True when an earlier job built it; false when this job just did.</summary>
    public bool Reused { get; }

    /// <summary>The entry shown read-only to the job (without a sandbox, file modes and ownership protect it instead).</summary>
    public IReadOnlyList<FolderMount> Mounts => [new FolderMount(Folder, PathInJob, Writable: false)];

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) _release();
    }
}
