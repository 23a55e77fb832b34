using Ci.Server.Isolation;
using static Ci.Server.Tests.Isolation.JobCgroupTestProcesses;

namespace Ci.Server.Tests.Isolation;

public sealed class JobDiskTests : IDisposable
{
    const int JobUid = 62998;
    readonly string scratch = Directory.CreateTempSubdirectory("jobdisk-").FullName;

    // 0755 like a server's work folder: the job's uid must reach its disk; the disk's own folders keep others out.
    public JobDiskTests() => Assert.Equal(0, NativeFiles.ChmodAt(NativeFiles.AT_FDCWD, NativeFiles.Name(scratch), 0x1ED, 0));

    [Fact]
    public void Writing_past_the_disk_limit_fails_with_no_space_and_lands_only_on_the_jobs_filesystem()
    {
        var disk = JobDisk.Mount(Path.Combine(scratch, "disk"), 8L << 20, JobUid, JobUid);
        try
        {
            // The job (its own uid) fills /tmp with 16 MiB, then tries its workspace: one limit covers both.
            string fill = $"dd if=/dev/zero of={disk.Temp}/fill bs=1M count=16 2>&1; echo dd=$?; echo more > {disk.Workspace}/more 2>&1; echo echo=$?";
            var result = Run([.. SlotUsers.SetprivArguments(JobUid), "/bin/sh", "-c", fill], TimeSpan.FromSeconds(30));

            Assert.Contains("No space left on device", result.Output);
            Assert.DoesNotContain("dd=0", result.Output);
            Assert.DoesNotContain("echo=0", result.Output);
            long written = new FileInfo(Path.Combine(disk.Temp, "fill")).Length;
            Assert.InRange(written, 1L << 20, 8L << 20);
            // The bytes are on the job's tmpfs, not on the filesystem holding the server's folders.
            Assert.Equal("tmpfs", MountType(disk.Folder));
            Assert.NotEqual("tmpfs", MountType(scratch));
            Assert.InRange(disk.UsedBytes(), 1L << 20, 8L << 20);
        }
        finally
        {
            disk.Unmount();
        }
        Assert.False(Directory.Exists(disk.Folder));
    }

    [Fact]
    public void The_workspace_and_temp_folders_belong_to_the_job_alone()
    {
        var disk = JobDisk.Mount(Path.Combine(scratch, "disk"), 1L << 20, JobUid, JobUid);
        try
        {
            var other = Run([.. SlotUsers.SetprivArguments(JobUid + 1), "/bin/sh", "-c", $"ls {disk.Workspace} 2>&1; touch {disk.Temp}/x 2>&1; echo done"], TimeSpan.FromSeconds(20));
            var owner = Run([.. SlotUsers.SetprivArguments(JobUid), "/bin/sh", "-c", $"touch {disk.Workspace}/mine {disk.Temp}/mine && echo wrote"], TimeSpan.FromSeconds(20));

            Assert.Equal(2, other.Output.Split("Permission denied").Length - 1);
            Assert.Contains("wrote", owner.Output);
        }
        finally
        {
            disk.Unmount();
        }
    }

    [Fact]
    public async Task Files_on_the_job_disk_count_against_the_jobs_memory_limit()
    {
        string parent = "ci-test-" + Guid.NewGuid().ToString("N")[..10];
        var cgroup = JobCgroup.Create("job-disk", new JobLimits(32L << 20, null, null, null), parent: parent);
        var disk = JobDisk.Mount(Path.Combine(scratch, "disk"), 128L << 20, JobUid, JobUid);
        try
        {
            // 64 MiB into a 128 MiB disk fits the disk but not 32 MiB of memory: tmpfs pages are the writer's memory.
            var result = Run(cgroup.CommandInside(["/bin/sh", "-c", $"dd if=/dev/zero of={disk.Temp}/fill bs=1M count=64 2>&1; echo dd=$?"]), TimeSpan.FromSeconds(60));

            Assert.DoesNotContain("dd=0", result.Output);
            Assert.True(new FileInfo(Path.Combine(disk.Temp, "fill")).Length <= 32L << 20);
        }
        finally
        {
            await cgroup.RemoveAsync(TestContext.Current.CancellationToken);
            disk.Unmount();
            await JobCgroup.RemoveLeftoversAsync(_ => false, parent: parent, cancellationToken: TestContext.Current.CancellationToken);
            foreach (string root in CgroupVersion.Detect().Roots.Values)
            {
                if (Directory.Exists(Path.Combine(root, parent)))
                    Directory.Delete(Path.Combine(root, parent));
            }
        }
    }

    /// <summary>The filesystem type of the mount holding a path (longest matching mount point in /proc/self/mounts).</summary>
    static string MountType(string path) => File.ReadAllLines("/proc/self/mounts").Select(l => l.Split(' '))
        .Where(f => path == f[1] || path.StartsWith(f[1].TrimEnd('/') + "/", StringComparison.Ordinal))
        .MaxBy(f => f[1].Length)![2];

    public void Dispose()
    {
        // A failed test may have left the disk mounted: unmount (detached) before deleting, never delete through it.
        string mounted = Path.Combine(scratch, "disk");
        if (File.ReadAllText("/proc/self/mounts").Contains(" " + mounted + " ", StringComparison.Ordinal))
            NativeFiles.Unmount(mounted, NativeFiles.MNT_DETACH);
        NoFollowTree.Delete(scratch);
    }
}
