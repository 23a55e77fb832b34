using System.Diagnostics;
using Ci.Server.Isolation;
using Ci.Server.Recipes.Environments;
using Ci.Server.Runner;
using Ci.Server.Tests.Runner;

namespace Ci.Server.Tests.Recipes.Environments;

/// <summary>
/// A cached environment is built by an identity no job has: while the build runs, a process with the jobs' uid
/// (another job, of another user) cannot write into the entry, and once cached the entry belongs to root, read-only.
/// The build is held open by a <c>sitecustomize</c> on the project's <c>PYTHONPATH</c> until the test has looked.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class BuildIdentityTests : IDisposable
{
    readonly string _folder = Path.Combine(Path.GetTempPath(), "ci-build-identity-" + Guid.NewGuid().ToString("N"));
    static CancellationToken Token => TestContext.Current.CancellationToken;

    string Flag => Path.Combine(_folder, "go-on");

    public BuildIdentityTests()
    {
        const UnixFileMode Readable = (UnixFileMode)0b111_101_101;
        Directory.CreateDirectory(_folder, Readable);
        File.WriteAllText(Path.Combine(_folder, "sitecustomize.py"), $$"""
            import os, sys, time
            if sys.prefix != sys.base_prefix and not os.path.exists("{{Flag}}"):
                deadline = time.monotonic() + 60
                while not os.path.exists("{{Flag}}") and time.monotonic() < deadline:
                    time.sleep(0.1)
            """);
        File.SetUnixFileMode(Path.Combine(_folder, "sitecustomize.py"), Readable & ~(UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute));
    }

    [Fact]
    public async Task A_job_uid_cannot_write_into_an_environment_being_built_nor_into_a_cached_one()
    {
        Assert.SkipUnless(JobUser.ServerIsRoot && HostCapabilities.Current.Setpriv is not null, "needs root and setpriv: builds then run as their own uid");
        await using var harness = await RunnerHarness.CreateAsync(SandboxMode.None, concurrency: 1, environmentCacheBytes: 256L * 1024 * 1024);
        await harness.StartAsync();

        var jobId = await harness.SubmitAsync(new Dictionary<string, string>(Projects.Passing)
        {
            ["pyproject.toml"] = $"[tool.ci]\nenv = {{ PYTHONPATH = \"{_folder}\" }}\n",
            ["requirements.txt"] = "pytest\n",
        });
        var entry = await WaitForEntryAsync(Path.Combine(harness.Options.WorkRoot, ".environments"));
        var ownerWhileBuilding = Owner(entry);
        var writeWhileBuilding = WriteAsJobUser(Path.Combine(entry, "planted.pth"));
        File.WriteAllText(Flag, "");
        var job = await harness.WaitForEndAsync(jobId);
        var writeWhenCached = WriteAsJobUser(Path.Combine(entry, "planted.pth"));

        Assert.True(job.Success, await harness.ReadLogAsync(jobId));
        Assert.Equal(EnvironmentCache.DefaultBuildUid, ownerWhileBuilding);
        Assert.NotEqual(0, writeWhileBuilding.ExitCode);
        Assert.Contains("Permission denied", writeWhileBuilding.Output);
        Assert.Equal(0u, Owner(entry));
        Assert.NotEqual(0, writeWhenCached.ExitCode);
        Assert.False(File.Exists(Path.Combine(entry, "planted.pth")));
    }

    /// <summary>The entry folder (64 hex digits) once its venv exists; the build then waits for the flag.</summary>
    static async Task<string> WaitForEntryAsync(string cache)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (Directory.Exists(cache) && Directory.EnumerateDirectories(cache).FirstOrDefault(folder =>
                    Path.GetFileName(folder).Length == 64 && File.Exists(Path.Combine(folder, "pyvenv.cfg"))) is { } entry)
                return entry;
            await Task.Delay(50, Token);
        }
        throw new TimeoutException("the environment build never started");
    }

    static uint Owner(string path)
    {
        Assert.Equal(0, NativeFiles.StatAt(NativeFiles.AT_FDCWD, NativeFiles.Name(path), NativeFiles.AT_SYMLINK_NOFOLLOW,
            NativeFiles.STATX_BASIC_STATS, out var stat));
        return stat.Uid;
    }

    /// <summary>Tries to create a file as nobody, the uid jobs run as.</summary>
    static (int ExitCode, string Output) WriteAsJobUser(string path)
    {
        var start = new ProcessStartInfo(HostCapabilities.Current.Setpriv!) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { $"--reuid={JobUser.Nobody}", $"--regid={JobUser.Nobody}", "--clear-groups", "/bin/sh", "-c", $"echo planted > '{path}'" })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(20)));
        return (process.ExitCode, output);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
