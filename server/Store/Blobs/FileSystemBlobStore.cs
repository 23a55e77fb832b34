using Ci.Core.Upload;

namespace Ci.Store.Blobs;

/// <summary>
/// Blobs as files: <c>&lt;root&gt;/&lt;owner&gt;/&lt;first two hex digits&gt;/&lt;hash&gt;</c>, written to
/// <c>&lt;root&gt;/tmp</c> first and renamed into place once their hash checks out. An in-memory index (rebuilt
/// from the folder at first use, ordered by file time) tracks sizes and last use for the size bound.
/// </summary>
public sealed class FileSystemBlobStore : IBlobStore
{
    private const int BufferSize = 128 * 1024;
    // A blob's file time records its last use across restarts; refreshing it more often than this is wasted I/O.
    private static readonly TimeSpan TouchInterval = TimeSpan.FromHours(1);

    private readonly string _root;
    private readonly string _temp;
    private readonly long _maxBytes;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private Dictionary<string, BlobEntry>? _index;
    private long _totalBytes;

    /// <summary>A store in <paramref name="root"/> holding at most <paramref name="maxBytes"/> of content.</summary>
    public FileSystemBlobStore(string root, long maxBytes, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        _root = Path.GetFullPath(root);
        _temp = Path.Combine(_root, "tmp");
        _maxBytes = maxBytes;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Bytes of content held now.</summary>
    public long TotalBytes
    {
        get
        {
            lock (_lock)
            {
                EnsureIndex();
                return _totalBytes;
            }
        }
    }

    public Task<IReadOnlyList<string>> FindMissingAsync(Guid owner, IReadOnlyCollection<string> hashes, CancellationToken cancellationToken)
    {
        var missing = new List<string>();
        var now = _time.GetUtcNow().UtcDateTime;
        lock (_lock)
        {
            var index = EnsureIndex();
            foreach (var hash in hashes)
            {
                if (index.TryGetValue(Key(owner, hash), out var entry))
                    entry.LastUse = now;
                else
                    missing.Add(hash);
            }
        }
        return Task.FromResult<IReadOnlyList<string>>(missing);
    }

    public async Task PutAsync(Guid owner, string hash, Stream content, long size, CancellationToken cancellationToken)
    {
        var check = BlobCheck.Start(hash, size, _maxBytes);
        lock (_lock)
            EnsureIndex();

        Directory.CreateDirectory(_temp);
        var temp = Path.Combine(_temp, Guid.NewGuid().ToString("N"));
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, FileOptions.Asynchronous))
            {
                var buffer = new byte[BufferSize];
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    check.Append(buffer.AsSpan(0, read));
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
            }
            check.Verify();

            var path = BlobPath(owner, hash);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        lock (_lock)
        {
            var index = EnsureIndex();
            var key = Key(owner, hash);
            if (index.Remove(key, out var old))
                _totalBytes -= old.Size;
            index[key] = new BlobEntry(owner, hash, size) { LastUse = _time.GetUtcNow().UtcDateTime };
            _totalBytes += size;
            EvictOverBound();
        }
    }

    public Task<Stream?> OpenAsync(Guid owner, string hash, CancellationToken cancellationToken)
    {
        if (!ContentHash.IsValid(hash))
            return Task.FromResult<Stream?>(null);
        var path = BlobPath(owner, hash);
        Stream stream;
        try
        {
            // FileShare.Delete: eviction may unlink it meanwhile; this reader keeps its content.
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, BufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            lock (_lock)
            {
                if (EnsureIndex().Remove(Key(owner, hash), out var gone))
                    _totalBytes -= gone.Size;
            }
            return Task.FromResult<Stream?>(null);
        }
        var now = _time.GetUtcNow().UtcDateTime;
        var touch = false;
        lock (_lock)
        {
            if (EnsureIndex().TryGetValue(Key(owner, hash), out var entry))
            {
                touch = now - entry.LastTouched > TouchInterval;
                entry.LastUse = now;
                if (touch)
                    entry.LastTouched = now;
            }
        }
        if (touch)
            File.SetLastWriteTimeUtc(path, now);
        return Task.FromResult<Stream?>(stream);
    }

    public Task DeleteAsync(Guid owner, string hash, CancellationToken cancellationToken)
    {
        if (!ContentHash.IsValid(hash))
            return Task.CompletedTask;
        lock (_lock)
        {
            if (EnsureIndex().Remove(Key(owner, hash), out var entry))
                _totalBytes -= entry.Size;
        }
        File.Delete(BlobPath(owner, hash));
        return Task.CompletedTask;
    }

    private string BlobPath(Guid owner, string hash) => Path.Combine(_root, owner.ToString("N"), hash[..2], hash);

    private static string Key(Guid owner, string hash) => owner.ToString("N") + "/" + hash;

    /// <summary>Loads the index from the folder the first time (under the lock); leftovers in tmp are deleted.</summary>
    private Dictionary<string, BlobEntry> EnsureIndex()
    {
        if (_index is not null)
            return _index;
        var index = new Dictionary<string, BlobEntry>(StringComparer.Ordinal);
        // Owner-only, like the job store's uploads: jobs run untrusted code.
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(_root);
        else
            Directory.CreateDirectory(_root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (Directory.Exists(_temp))
            Directory.Delete(_temp, recursive: true);
        foreach (var ownerDirectory in new DirectoryInfo(_root).EnumerateDirectories())
        {
            if (!Guid.TryParseExact(ownerDirectory.Name, "N", out var owner))
                continue;
            foreach (var file in ownerDirectory.EnumerateFiles("*", SearchOption.AllDirectories))
            {
                if (!ContentHash.IsValid(file.Name))
                    continue;
                var time = file.LastWriteTimeUtc;
                index[Key(owner, file.Name)] = new BlobEntry(owner, file.Name, file.Length) { LastUse = time, LastTouched = time };
                _totalBytes += file.Length;
            }
        }
        _index = index;
        EvictOverBound();
        return index;
    }

    /// <summary>Past the bound, deletes the least recently used blobs down to 90 % of it, so eviction runs in batches.</summary>
    private void EvictOverBound()
    {
        if (_totalBytes <= _maxBytes)
            return;
        var target = _maxBytes / 10 * 9;
        foreach (var entry in _index!.Values.OrderBy(static e => e.LastUse).ToList())
        {
            if (_totalBytes <= target)
                break;
            _index.Remove(Key(entry.Owner, entry.Hash));
            _totalBytes -= entry.Size;
            File.Delete(BlobPath(entry.Owner, entry.Hash));
        }
    }

    private sealed class BlobEntry(Guid owner, string hash, long size)
    {
        public Guid Owner { get; } = owner;
        public string Hash { get; } = hash;
        public long Size { get; } = size;
        public DateTime LastUse { get; set; }
        public DateTime LastTouched { get; set; }
    }
}
