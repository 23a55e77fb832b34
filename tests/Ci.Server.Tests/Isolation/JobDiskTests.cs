using Ci.Server.Isolation;
using static Ci.Server.Tests.Isolation.JobCgroupTestProcesses;

namespace Ci.Server.Tests.Isolation;

public sealed class JobDiskTests : IDisposable
{
    const int JobUid = 62998;
    readonly string scratch = Directory.CreateTempSubdirectory("jobdisk-").FullName;

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
            var result = Run([.. SlotUsers.SetprivArguments(JobUid + 1), "/bin/sh", "-c", $"ls {disk.Workspace} 2>&1; touch {disk.Temp}/x 2>&1; echo done"], TimeSpan.FromSeconds(20));

            Assert.Equal(2, result.Output.Split("Permission denied").Length - 1);
        }
        finally
        {
            disk.Unmount();
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
            Ci.Server.Isolation.NativeFiles.Unmount(mounted, Ci.Server.Isolation.NativeFiles.MNT_DETACH);
        NoFollowTree.Delete(scratch);
    }
}
