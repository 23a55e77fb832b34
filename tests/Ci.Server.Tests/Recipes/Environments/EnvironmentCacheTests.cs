using Ci.Server.Recipes.Environments;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ci.Server.Tests.Recipes.Environments;

/// <summary>
/// The cache on a real folder, with builds that write real files (what a venv build does, minus Python). The job-level
/// behaviour (isolation in and out of the sandbox, the log) is in <see cref="CachedEnvironmentJobTests"/>.
/// </summary>
public sealed class EnvironmentCacheTests : IDisposable
{
    const int EntryBytes = 1000;
    readonly string _root = Path.Combine(Path.GetTempPath(), "ci-env-cache-tests", Guid.NewGuid().ToString("N"));
    int _builds;

    static CancellationToken Token => TestContext.Current.CancellationToken;

    static EnvironmentKey Key(string name) => EnvironmentKey.Of([name], []);

    EnvironmentCache Open(long maxBytes)
    {
        var cache = new EnvironmentCache(_root, maxBytes, sandboxed: false, jobUser: null, NullLogger.Instance);
        cache.Open();
        return cache;
    }

    /// <summary>A build that writes <see cref="EntryBytes"/> bytes and succeeds (or not), counting itself.</summary>
    Func<EnvironmentBuild, Task<bool>> Build(bool succeeds = true, Task? gate = null) => async build =>
    {
        Interlocked.Increment(ref _builds);
        await File.WriteAllBytesAsync(Path.Combine(build.Folder, "payload"), new byte[EntryBytes], Token);
        if (gate is not null) await gate.WaitAsync(TimeSpan.FromSeconds(30), Token);
        return succeeds;
    };

    static Task NoWait() => Task.CompletedTask;

    async Task<EnvironmentLease> AcquireAsync(EnvironmentCache cache, string name) =>
        (await cache.AcquireAsync(Key(name), Build(), NoWait, Token))!;

    [Fact]
    public async Task The_first_acquire_builds_and_the_next_reuses_the_same_folder()
    {
        var cache = Open(maxBytes: 10 * EntryBytes);

        using var first = await AcquireAsync(cache, "a");
        using var second = await AcquireAsync(cache, "a");

        Assert.Equal((false, true), (first.Reused, second.Reused));
        Assert.Equal(first.Folder, second.Folder);
        Assert.Equal(first.Folder, first.PathInJob);
        Assert.Equal(1, _builds);
        Assert.Equal(EntryBytes, cache.Bytes);
    }

    [Fact]
    public async Task Two_acquires_of_one_key_at_once_build_it_once()
    {
        var cache = Open(maxBytes: 10 * EntryBytes);
        var gate = new TaskCompletionSource();
        var waiting = new TaskCompletionSource();

        var building = cache.AcquireAsync(Key("a"), Build(gate: gate.Task), NoWait, Token);
        var waiter = cache.AcquireAsync(Key("a"), Build(), () => { waiting.SetResult(); return Task.CompletedTask; }, Token);
        await waiting.Task.WaitAsync(TimeSpan.FromSeconds(30), Token);
        Assert.False(waiter.IsCompleted, "the second acquire waits for the first build");
        gate.SetResult();

        using var built = (await building)!;
        using var reused = (await waiter)!;
        Assert.Equal((false, true), (built.Reused, reused.Reused));
        Assert.Equal(1, _builds);
    }

    [Fact]
    public async Task A_failed_build_is_not_cached_and_leaves_no_folder()
    {
        var cache = Open(maxBytes: 10 * EntryBytes);

        var failed = await cache.AcquireAsync(Key("a"), Build(succeeds: false), NoWait, Token);

        Assert.Null(failed);
        Assert.False(cache.Contains(Key("a")));
        Assert.Equal(0, cache.Bytes);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
        using var retried = await AcquireAsync(cache, "a");
        Assert.False(retried.Reused);
        Assert.Equal(2, _builds);
    }

    [Fact]
    public async Task A_waiter_builds_itself_when_the_build_it_waited_for_fails()
    {
        var cache = Open(maxBytes: 10 * EntryBytes);
        var gate = new TaskCompletionSource();
        var waiting = new TaskCompletionSource();

        var failing = cache.AcquireAsync(Key("a"), Build(succeeds: false, gate: gate.Task), NoWait, Token);
        var waiter = cache.AcquireAsync(Key("a"), Build(), () => { waiting.SetResult(); return Task.CompletedTask; }, Token);
        await waiting.Task.WaitAsync(TimeSpan.FromSeconds(30), Token);
        gate.SetResult();

        Assert.Null(await failing);
        using var built = (await waiter)!;
        Assert.False(built.Reused);
        Assert.Equal(2, _builds);
        Assert.True(cache.Contains(Key("a")));
    }

    [Fact]
    public async Task Past_the_bound_the_least_recently_used_entry_is_evicted()
    {
        var cache = Open(maxBytes: 2 * EntryBytes + EntryBytes / 2);
        string folderOfB;
        using (await AcquireAsync(cache, "a")) { }
        using (var b = await AcquireAsync(cache, "b")) folderOfB = b.Folder;
        using (var a = await AcquireAsync(cache, "a")) Assert.True(a.Reused);

        using (await AcquireAsync(cache, "c")) { }

        Assert.True(cache.Contains(Key("a")), "a was used after b");
        Assert.False(cache.Contains(Key("b")), "b was the least recently used");
        Assert.True(cache.Contains(Key("c")));
        Assert.False(Directory.Exists(folderOfB));
        Assert.Equal(2 * EntryBytes, cache.Bytes);
    }

    [Fact]
    public async Task An_entry_in_use_is_never_evicted_even_when_it_is_the_oldest()
    {
        var cache = Open(maxBytes: EntryBytes + EntryBytes / 2);
        using var a = await AcquireAsync(cache, "a");
        var b = await AcquireAsync(cache, "b");
        Assert.True(cache.Contains(Key("a")) && cache.Contains(Key("b")), "both in use: over the bound until released");

        b.Dispose();

        Assert.True(cache.Contains(Key("a")), "a job still uses a");
        Assert.True(File.Exists(Path.Combine(a.Folder, "payload")));
        Assert.False(cache.Contains(Key("b")));
        Assert.Equal(EntryBytes, cache.Bytes);
    }

    [Fact]
    public async Task An_entry_bigger_than_the_bound_serves_its_job_then_goes()
    {
        var cache = Open(maxBytes: EntryBytes / 2);

        var lease = await AcquireAsync(cache, "a");
        Assert.True(File.Exists(Path.Combine(lease.Folder, "payload")));
        lease.Dispose();

        Assert.False(cache.Contains(Key("a")));
        Assert.Equal(0, cache.Bytes);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
    }

    [Fact]
    public async Task Entries_survive_a_restart_and_half_built_ones_are_removed()
    {
        var cache = Open(maxBytes: 10 * EntryBytes);
        string kept;
        using (var lease = await AcquireAsync(cache, "a")) kept = lease.Folder;
        var halfBuilt = Path.Combine(_root, Key("b").ToString());
        Directory.CreateDirectory(halfBuilt);
        var strayBuild = Directory.CreateDirectory(Path.Combine(_root, "scratch-0123")).FullName;

        var reopened = Open(maxBytes: 10 * EntryBytes);

        Assert.True(reopened.Contains(Key("a")));
        Assert.Equal(EntryBytes, reopened.Bytes);
        Assert.True(File.Exists(Path.Combine(kept, "payload")));
        Assert.False(Directory.Exists(halfBuilt));
        Assert.False(Directory.Exists(strayBuild));
        using var reused = await AcquireAsync(reopened, "a");
        Assert.True(reused.Reused);
    }

    [Fact]
    public async Task A_cached_entry_has_no_write_permission_left()
    {
        var cache = Open(maxBytes: 10 * EntryBytes);

        using var lease = await AcquireAsync(cache, "a");
        if (OperatingSystem.IsWindows()) return;

        const UnixFileMode Writes = UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;
        Assert.Equal((UnixFileMode)0, File.GetUnixFileMode(lease.Folder) & Writes);
        Assert.Equal((UnixFileMode)0, File.GetUnixFileMode(Path.Combine(lease.Folder, "payload")) & Writes);
    }

    [Fact]
    public void A_sandboxed_cache_shows_entries_at_the_fixed_path_and_keys_by_it()
    {
        var sandboxed = new EnvironmentCache(_root, 1, sandboxed: true, jobUser: null, NullLogger.Instance);
        var inPlace = new EnvironmentCache(_root, 1, sandboxed: false, jobUser: null, NullLogger.Instance);

        Assert.NotEqual(sandboxed.Layout, inPlace.Layout);
        Assert.Contains(EnvironmentCache.SandboxPath, sandboxed.Layout);
    }

    public void Dispose()
    {
        if (!Directory.Exists(_root) || OperatingSystem.IsWindows()) return;
        foreach (var folder in Directory.EnumerateDirectories(_root, "*", SearchOption.AllDirectories).Append(_root))
        {
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        Directory.Delete(_root, recursive: true);
    }
}
