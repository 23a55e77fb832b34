using Ci.Server.Isolation;

namespace Ci.Server.Recipes.Environments;

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
