using System.Globalization;
using System.Runtime.InteropServices;

namespace Ci.Server.Isolation;

/// <summary>
/// One size-limited filesystem per job holding its workspace and its temporary folder together, so a job past
/// <c>--job-disk-mb</c> gets ENOSPC and the server's own disk (its store, other jobs) is never touched.
/// It is a tmpfs with <c>size=</c>: no image file, no loop device (often absent in containers), nothing to format,
/// and it vanishes with its mount. Its pages count against the job's memory cgroup (the kernel charges them to the
/// writer), which is why <see cref="JobLimits.MemoryBytes"/> is documented as "memory, including tmpfs".
/// The sandbox binds <see cref="Workspace"/> as the job's project folder and <see cref="Temp"/> as /tmp (TMPDIR=/tmp).
/// </summary>
public sealed class JobDisk
{
    JobDisk(string folder)
    {
        Folder = folder;
    }

    /// <summary>The mount point.</summary>
    public string Folder { get; }

    /// <summary>The job's workspace, inside the limited filesystem.</summary>
    public string Workspace => Path.Combine(Folder, "work");

    /// <summary>The job's /tmp and TMPDIR, inside the same filesystem, so they share the one limit.</summary>
    public string Temp => Path.Combine(Folder, "tmp");

    /// <summary>
    /// Mounts a tmpfs of <paramref name="bytes"/> at <paramref name="folder"/> (made if missing; nosuid, nodev) with
    /// <see cref="Workspace"/> and <see cref="Temp"/> in it owned by the job's uid and gid. Needs root.
    /// </summary>
    public static JobDisk Mount(string folder, long bytes, int uid, int gid)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 4096);
        Directory.CreateDirectory(folder);
        string options = string.Create(CultureInfo.InvariantCulture, $"size={bytes},mode=0755,uid=0,gid=0");
        if (NativeFiles.Mount("ci-job", folder, "tmpfs", NativeFiles.MS_NOSUID | NativeFiles.MS_NODEV, options) != 0)
            throw NativeFiles.Failure("mount tmpfs", folder);
        var disk = new JobDisk(folder);
        foreach (string inner in new[] { disk.Workspace, disk.Temp })
        {
            Directory.CreateDirectory(inner);
            // Made by root a moment ago on a fresh filesystem: no job-made link can be in the way yet.
            if (NativeFiles.ChownAt(NativeFiles.AT_FDCWD, NativeFiles.Name(inner), uid, gid, NativeFiles.AT_SYMLINK_NOFOLLOW) != 0)
                throw NativeFiles.Failure("fchownat", inner);
            // 0700 both: only the job's own uid gets in (sticky bit not needed for a folder only one uid can enter).
            if (NativeFiles.ChmodAt(NativeFiles.AT_FDCWD, NativeFiles.Name(inner), 0x1C0, NativeFiles.AT_SYMLINK_NOFOLLOW) != 0)
                throw NativeFiles.Failure("fchmodat", inner);
        }
        return disk;
    }

    /// <summary>The bytes in use on the job's filesystem now.</summary>
    public long UsedBytes()
    {
        var drive = new DriveInfo(Folder);
        return drive.TotalSize - drive.TotalFreeSpace;
    }

    /// <summary>
    /// Unmounts (detached, so a process that still holds a file open cannot keep it busy) and removes the mount point.
    /// Kill the job's cgroup first; the memory goes back once the last open file is closed.
    /// </summary>
    public void Unmount()
    {
        if (NativeFiles.Unmount(Folder, NativeFiles.MNT_DETACH) != 0 && Marshal.GetLastPInvokeError() != 22 /* EINVAL: not mounted */)
            throw NativeFiles.Failure("umount", Folder);
        try
        {
            Directory.Delete(Folder);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
