using Ci.Server.Isolation;
using Ci.Server.Runner;
using Ci.Server.Tests.Runner;

namespace Ci.Server.Tests.Recipes.Environments;

/// <summary>
/// A cached environment's build runs the project's code (here a <c>sitecustomize</c> on the project's own
/// <c>PYTHONPATH</c>, which every Python of the build imports). It plants a link to a host file and a link to a host
/// folder inside the venv, and the test step plants the same in its workspace. Sealing, taking ownership, sizing and
/// deleting the entry and the workspace act on the links themselves: the host folder keeps its owner, modes and content.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PlantedLinkTests : IDisposable
{
    readonly string _folder = Path.Combine(Path.GetTempPath(), "ci-planted-" + Guid.NewGuid().ToString("N"));

    string HostFolder => Path.Combine(_folder, "host");
    string HostFile => Path.Combine(HostFolder, "secret.txt");
    string HookFolder => Path.Combine(_folder, "hook");

    public PlantedLinkTests()
    {
        const UnixFileMode Folder = (UnixFileMode)0b111_101_101, File644 = (UnixFileMode)0b110_100_100;
        Directory.CreateDirectory(_folder, Folder);
        Directory.CreateDirectory(HostFolder, Folder);
        File.WriteAllText(HostFile, "host content\n");
        File.SetUnixFileMode(HostFile, File644);
        Directory.CreateDirectory(HookFolder, Folder);
        File.WriteAllText(Path.Combine(HookFolder, "sitecustomize.py"), $$"""
            import os, sys
            if sys.prefix != sys.base_prefix:
                for name, target in (("linked-folder", "{{HostFolder}}"), ("linked-file", "{{HostFile}}")):
                    for folder in (sys.prefix, os.path.join(sys.prefix, "lib")):
                        try:
                            os.symlink(target, os.path.join(folder, name))
                            print("PLANTED", name, "in", folder, flush=True)
                        except OSError:
                            pass
            """);
        File.SetUnixFileMode(Path.Combine(HookFolder, "sitecustomize.py"), File644);
    }

    Dictionary<string, string> Project => new()
    {
        ["pyproject.toml"] = $$"""
            [tool.ci]
            env = { PYTHONPATH = "{{HookFolder}}" }
            """,
        ["requirements.txt"] = "pytest\n",
        ["test_links.py"] = $$"""
            import os

            def test_plants_links_in_its_workspace():
                os.symlink("{{HostFolder}}", os.path.join("..", "linked-folder"))
                os.symlink("{{HostFile}}", "linked-file")
            """,
    };

    [Theory]
    [InlineData(256L * 1024 * 1024)]
    [InlineData(1L)]
    public async Task Links_planted_by_an_environment_build_and_a_job_leave_the_host_folder_unchanged(long cacheBytes)
    {
        Assert.SkipUnless(JobUser.ServerIsRoot, "needs root: the server then seals entries as root");
        var before = Snapshot();
        await using var harness = await RunnerHarness.CreateAsync(SandboxMode.None, concurrency: 1, environmentCacheBytes: cacheBytes);
        await harness.StartAsync();

        var jobId = await harness.SubmitAsync(Project);
        var job = await harness.WaitForEndAsync(jobId);
        await (harness.Runner.WhenDone(jobId) ?? Task.CompletedTask).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        var log = await harness.ReadLogAsync(jobId);
        Assert.True(job.Success, log);
        Assert.Contains("not cached yet, building it.", log);
        Assert.Contains("PLANTED linked-folder", log);
        Assert.Contains("PLANTED linked-file", log);
        Assert.Equal(before, Snapshot());
    }

    /// <summary>Owner, group, mode and content of the host folder and its file.</summary>
    string Snapshot()
    {
        string Describe(string path)
        {
            Assert.Equal(0, NativeFiles.StatAt(NativeFiles.AT_FDCWD, NativeFiles.Name(path), NativeFiles.AT_SYMLINK_NOFOLLOW,
                NativeFiles.STATX_BASIC_STATS, out var stat));
            return $"{path} {stat.Uid}:{stat.Gid} {Convert.ToString(stat.Mode, 8)}";
        }
        return $"{Describe(HostFolder)}\n{Describe(HostFile)}\n{File.ReadAllText(HostFile)}";
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
