using Ci.Server.Isolation;

namespace Ci.Server.Tests.Isolation;

/// <summary>
/// A server killed in the middle of a job leaves the job's disk mounted on its folder and its TMPDIR bound at
/// <c>&lt;job&gt;.tmp</c>: the next start detaches both and the leftover clean-up removes every folder of the job,
/// touching nothing of the server's. Needs root (mounts).
/// </summary>
public sealed class JobTempLeftoverTests : IDisposable
{
    readonly string workRoot = Path.Combine(Directory.CreateTempSubdirectory("jobtemp-").FullName, "work");

    [Fact]
    public async Task A_leftover_disk_and_tmp_bind_are_detached_and_removed_at_the_next_start()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() && HostCapabilities.Current.ServerIsRoot, "needs root on Linux");
        var jobId = Guid.NewGuid();
        var workspace = JobWorkspace.Create(workRoot, jobId, workRootTraversable: false);
        JobDisk.Mount(workspace.Root, 8L << 20, 62997, 62997);
        Directory.CreateDirectory(workspace.Temp);
        var bound = JobTemp.Bind(workspace.Root, workspace.Temp);
        File.WriteAllText(Path.Combine(bound, "left-by-the-job"), "x");
        Assert.True(File.Exists(Path.Combine(workspace.Temp, "left-by-the-job")), "the bind shows the job's TMPDIR");
        var store = Path.Combine(workRoot, "..", "ci.db");
        File.WriteAllText(store, "the server's");

        var prison = new JobPrison(workRoot, JobLimits.None, "62000-62063", dropsRoot: false, HostCapabilities.Current);
        await prison.StartAsync(workRoot, TestContext.Current.CancellationToken);
        JobSite.DeleteLeftovers(workRoot, ownNetworks: false, HostCapabilities.Current);
        prison.Close();

        var mounts = await File.ReadAllTextAsync("/proc/self/mounts", TestContext.Current.CancellationToken);
        Assert.DoesNotContain(jobId.ToString("D"), mounts);
        Assert.Empty(Directory.EnumerateFileSystemEntries(workRoot));
        Assert.Equal("the server's", File.ReadAllText(store));
    }

    public void Dispose()
    {
        var scratch = Path.GetDirectoryName(workRoot)!;
        foreach (var folder in Directory.Exists(workRoot) ? Directory.GetDirectories(workRoot) : [])
        {
            JobTemp.Unbind(folder.EndsWith(".tmp", StringComparison.Ordinal) ? folder[..^4] : folder);
            NativeFiles.Unmount(folder, NativeFiles.MNT_DETACH);
        }
        Directory.Delete(scratch, recursive: true);
    }
}
