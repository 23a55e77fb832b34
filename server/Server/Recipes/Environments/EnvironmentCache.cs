using System.Globalization;
using Ci.Server.Isolation;

namespace Ci.Server.Recipes.Environments;

/// <summary>
/// Job environments built once and reused by every job with the same <see cref="EnvironmentKey"/>, within a size bound
/// with least-recently-used eviction. Each entry is a folder <c>{key}</c> under <see cref="Root"/>, usable once its
/// <c>{key}.ready</c> file exists (it holds the entry's size; its modification time is the entry's last use, so the
/// order survives a restart). A failed or stopped build leaves nothing behind, and jobs that want an environment that
/// is being built wait for that build instead of starting their own.
/// </summary>
/// <remarks>
/// Jobs get an entry read-only: bwrap binds it read-only at <see cref="SandboxPath"/>. Without a sandbox it is used in
/// place; a root server then owns it and jobs (run as nobody) cannot write it, while a server running as an ordinary
/// user can only take write permission away, which its jobs (the same user) could restore: use bwrap there.
/// </remarks>
internal sealed partial class EnvironmentCache
{
    /// <summary>
    /// Where sandboxed jobs see their environment. A venv bakes its own absolute path into scripts and pyvenv.cfg, so
    /// it is built at this path too, and every job that reuses it finds those paths valid.
    /// </summary>
    public const string SandboxPath = "/ci/venv";

    private const string ReadySuffix = ".ready";
    // Build folders and entries on their way out; whatever carries this prefix is deleted on sight.
    private const string ScratchPrefix = "scratch-";

    private readonly Lock _lock = new();
    private readonly Dictionary<EnvironmentKey, Entry> _entries = [];
    private readonly Dictionary<EnvironmentKey, Task> _building = [];
    private readonly bool _sandboxed;
    private readonly JobUser? _buildUser;
    private readonly ILogger _logger;
    private long _bytes;
    private long _clock;

    /// <param name="root">The cache folder (created by <see cref="Open"/>).</param>
    /// <param name="maxBytes">The size bound; an entry bigger than this alone serves the job that built it, then goes.</param>
    /// <param name="sandboxed">Whether jobs run in bwrap (entries appear at <see cref="SandboxPath"/>) or in place.</param>
    /// <param name="jobUser">
    /// The user jobs run as when the server is root: builds run as <see cref="BuildUser"/>, an identity no job has
    /// (<paramref name="buildUid"/>), so no job can write an entry while it is built; entries then go to root.
    /// </param>
    /// <param name="buildUid">The uid builds run as (<c>--env-build-uid</c>).</param>
    public EnvironmentCache(string root, long maxBytes, bool sandboxed, JobUser? jobUser, ILogger logger, uint buildUid = DefaultBuildUid)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        Root = root;
        MaxBytes = maxBytes;
        _sandboxed = sandboxed;
        _buildUser = jobUser is null ? null : jobUser with { Uid = buildUid, Gid = buildUid };
        _logger = logger;
    }

    /// <summary>The uid cached environments are built as when <c>--env-build-uid</c> is not given: above the default job uid range.</summary>
    public const uint DefaultBuildUid = 62900;

    public string Root { get; }

    /// <summary>Who builds entries (null when jobs run as the server's own user).</summary>
    public JobUser? BuildUser => _buildUser;

    public long MaxBytes { get; }

    /// <summary>How jobs see entries; part of every key, since a venv built for one place does not work in another.</summary>
    public string Layout => _sandboxed ? $"bound read-only at {SandboxPath}" : "used in place";

    /// <summary>The bytes of all ready entries.</summary>
    public long Bytes
    {
        get
        {
            lock (_lock) return _bytes;
        }
    }

    /// <summary>Whether a ready entry for <paramref name="key"/> exists.</summary>
    public bool Contains(EnvironmentKey key)
    {
        lock (_lock) return _entries.ContainsKey(key);
    }

    /// <summary>
    /// Creates the folder, takes over the ready entries a previous server process left (oldest use first) and deletes
    /// everything else in it: half-built entries, build folders, entries being evicted. Call once, before any job.
    /// </summary>
    public void Open()
    {
        // Jobs of a root server run as nobody and must reach their entry by path (0711), not list the others.
        JobWorkspace.PrepareWorkRoot(Root, traversable: _buildUser is not null);
        var found = new List<(EnvironmentKey Key, long Bytes, DateTime LastUsed)>();
        foreach (var path in Directory.EnumerateFileSystemEntries(Root).ToList())
        {
            var name = Path.GetFileName(path);
            if (EnvironmentKey.TryParse(name, out var key) && Directory.Exists(path) && EnvironmentFolders.ReadSize(path + ReadySuffix) is { } bytes)
            {
                found.Add((key, bytes, File.GetLastWriteTimeUtc(path + ReadySuffix)));
            }
            else if (!(name.EndsWith(ReadySuffix, StringComparison.Ordinal) && Directory.Exists(path[..^ReadySuffix.Length])))
            {
                EnvironmentFolders.DeleteTree(path);
            }
        }
        lock (_lock)
        {
            foreach (var (key, bytes, _) in found.OrderBy(entry => entry.LastUsed))
            {
                _entries[key] = new Entry(key, Path.Combine(Root, key.ToString()), bytes) { LastUsed = ++_clock };
                _bytes += bytes;
            }
        }
        // Ready files whose folder was not an entry after all (a key-named file, say).
        foreach (var ready in Directory.EnumerateFiles(Root, "*" + ReadySuffix))
        {
            if (!EnvironmentKey.TryParse(Path.GetFileName(ready)[..^ReadySuffix.Length], out var key) || !Contains(key)) EnvironmentFolders.TryDelete(ready);
        }
        LogOpened(_logger, Root, found.Count, _bytes / (1024.0 * 1024), MaxBytes / (1024.0 * 1024));
        EvictOverflow();
    }

    /// <summary>
    /// The environment for <paramref name="key"/>: the cached one, or one that <paramref name="build"/> makes now and
    /// the cache keeps (null when the build fails: nothing is cached then). While another job builds the same key, this
    /// waits for it (telling <paramref name="waiting"/> once) and builds only if that build failed.
    /// </summary>
    /// <param name="build">Fills <see cref="EnvironmentBuild.Folder"/>; true when the environment is complete.</param>
    public async Task<EnvironmentLease?> AcquireAsync(
        EnvironmentKey key, Func<EnvironmentBuild, Task<bool>> build, Func<Task> waiting, CancellationToken cancellationToken)
    {
        var toldWaiting = false;
        while (true)
        {
            Task? otherBuild;
            TaskCompletionSource? ours = null;
            lock (_lock)
            {
                if (_entries.TryGetValue(key, out var entry)) return LeaseLocked(entry, reused: true);
                if (!_building.TryGetValue(key, out otherBuild))
                {
                    ours = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    _building[key] = ours.Task;
                }
            }
            if (ours is null)
            {
                if (!toldWaiting)
                {
                    toldWaiting = true;
                    await waiting();
                }
                await otherBuild!.WaitAsync(cancellationToken);
                continue;
            }
            try
            {
                return await BuildAsync(key, build);
            }
            finally
            {
                lock (_lock) _building.Remove(key);
                ours.SetResult();
                EvictOverflow();
            }
        }
    }

    private async Task<EnvironmentLease?> BuildAsync(EnvironmentKey key, Func<EnvironmentBuild, Task<bool>> build)
    {
        var folder = Path.Combine(Root, key.ToString());
        var work = Path.Combine(Root, ScratchPrefix + Guid.NewGuid().ToString("N"));
        var cached = false;
        try
        {
            EnvironmentFolders.DeleteTree(folder);
            Directory.CreateDirectory(folder);
            JobWorkspace.CreatePrivateFolder(work);
            var home = Directory.CreateDirectory(Path.Combine(work, "home")).FullName;
            var temp = Directory.CreateDirectory(Path.Combine(work, "tmp")).FullName;
            if (_buildUser is not null)
            {
                _buildUser.TakeOwnership(folder);
                _buildUser.TakeOwnership(work);
            }
            if (!await build(new EnvironmentBuild(folder, _sandboxed ? SandboxPath : folder, work, home, temp, _buildUser))) return null;

            var bytes = EnvironmentFolders.Seal(folder, builtByAnotherUser: _buildUser is not null);
            await File.WriteAllTextAsync(folder + ReadySuffix, bytes.ToString(CultureInfo.InvariantCulture), CancellationToken.None);
            lock (_lock)
            {
                var entry = new Entry(key, folder, bytes);
                _entries[key] = entry;
                _bytes += bytes;
                cached = true;
                LogCached(_logger, key.ToString(), bytes / (1024.0 * 1024));
                return LeaseLocked(entry, reused: false);
            }
        }
        finally
        {
            EnvironmentFolders.DeleteTree(work);
            if (!cached)
            {
                EnvironmentFolders.TryDelete(folder + ReadySuffix);
                EnvironmentFolders.DeleteTree(folder);
            }
        }
    }

    private EnvironmentLease LeaseLocked(Entry entry, bool reused)
    {
        entry.Leases++;
        entry.LastUsed = ++_clock;
        try
        {
            File.SetLastWriteTimeUtc(entry.Folder + ReadySuffix, DateTime.UtcNow);
        }
        catch (IOException)
        {
            // Only the order after a restart suffers.
        }
        return new EnvironmentLease(entry.Key, entry.Folder, _sandboxed ? SandboxPath : entry.Folder, reused, () => Release(entry));
    }

    private void Release(Entry entry)
    {
        lock (_lock) entry.Leases--;
        EvictOverflow();
    }

    /// <summary>Evicts least recently used entries no job holds until the cache fits its bound again.</summary>
    private void EvictOverflow()
    {
        var doomed = new List<string>();
        lock (_lock)
        {
            while (_bytes > MaxBytes)
            {
                Entry? victim = null;
                foreach (var entry in _entries.Values)
                {
                    if (entry.Leases == 0 && (victim is null || entry.LastUsed < victim.LastUsed)) victim = entry;
                }
                if (victim is null) break;
                _entries.Remove(victim.Key);
                _bytes -= victim.Bytes;
                EnvironmentFolders.TryDelete(victim.Folder + ReadySuffix);
                // Renamed while locked, so a new build of the same key never meets the old folder half deleted.
                var scratch = Path.Combine(Root, ScratchPrefix + Guid.NewGuid().ToString("N"));
                try
                {
                    Directory.Move(victim.Folder, scratch);
                    doomed.Add(scratch);
                }
                catch (IOException)
                {
                    doomed.Add(victim.Folder);
                }
                LogEvicted(_logger, victim.Key.ToString(), victim.Bytes / (1024.0 * 1024));
            }
        }
        foreach (var folder in doomed) EnvironmentFolders.DeleteTree(folder);
    }

    private sealed class Entry(EnvironmentKey key, string folder, long bytes)
    {
        public EnvironmentKey Key { get; } = key;
        public string Folder { get; } = folder;
        public long Bytes { get; } = bytes;
        public int Leases { get; set; }
        public long LastUsed { get; set; }
    }

    [LoggerMessage(LogLevel.Information, "Environment cache {Root}: {Count} environment(s), {UsedMiB:0.#} MiB of {MaxMiB:0.#} MiB.")]
    private static partial void LogOpened(ILogger logger, string root, int count, double usedMiB, double maxMiB);

    [LoggerMessage(LogLevel.Information, "Environment {Key} cached ({MiB:0.##} MiB).")]
    private static partial void LogCached(ILogger logger, string key, double miB);

    [LoggerMessage(LogLevel.Information, "Environment {Key} evicted ({MiB:0.##} MiB).")]
    private static partial void LogEvicted(ILogger logger, string key, double miB);
}
