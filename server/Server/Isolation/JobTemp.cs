namespace Ci.Server.Isolation;

/// <summary>
/// The job's <c>/tmp</c> under bubblewrap is its TMPDIR folder itself, on its size-limited disk (<see cref="JobDisk"/>):
/// workspace, TMPDIR and /tmp share <c>--job-disk-mb</c>, and a job filling /tmp gets ENOSPC instead of growing an
/// unlimited tmpfs. The folder is bind-mounted once, before any job code runs, at <c>&lt;job&gt;.tmp</c> in the work
/// root, where no job can write: bwrap then binds that path, so a job that swaps its own <c>tmp</c> folder for a link
/// between steps cannot point the bind anywhere else.
/// </summary>
internal static class JobTemp
{
    /// <summary>Where the job's TMPDIR is shown to bwrap: beside the workspace, named by the job, so leftovers are found.</summary>
    public static string BindPoint(string workspaceRoot) => workspaceRoot + ".tmp";

    /// <summary>Binds <paramref name="temp"/> (just made by the server) at <see cref="BindPoint"/>; needs root.</summary>
    public static string Bind(string workspaceRoot, string temp)
    {
        var point = BindPoint(workspaceRoot);
        JobWorkspace.CreatePrivateFolder(point);
        if (NativeFiles.Mount(temp, point, "", NativeFiles.MS_BIND, null) != 0) throw NativeFiles.Failure("mount --bind", point);
        return point;
    }

    /// <summary>Detaches the bind and removes its folder; nothing there is not an error (a leftover, or never bound).</summary>
    public static void Unbind(string workspaceRoot)
    {
        if (!OperatingSystem.IsLinux()) return;
        var point = BindPoint(workspaceRoot);
        NativeFiles.Unmount(point, NativeFiles.MNT_DETACH);
        try
        {
            // Not recursive: an empty mount point is all there may be; anything else is the job's, left for its own cleanup.
            Directory.Delete(point);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// bwrap's arguments for /tmp: the job's TMPDIR bound there when the command has one (a mount whose target is
    /// <c>/tmp</c>) and nothing else is shown under /tmp (bwrap would have to make mount points inside a folder the job
    /// writes); else a private tmpfs, as for a cached environment's build or a work root under /tmp.
    /// </summary>
    /// <param name="temp">The mount targeting /tmp, if any (<see cref="Mount"/>).</param>
    /// <param name="otherTargets">Every other path the sandbox shows.</param>
    /// <param name="worldWritable">bwrap's <c>--perms 1777</c> for a tmpfs when the job is not root, else empty.</param>
    public static IReadOnlyList<string> Arguments(FolderMount? temp, IEnumerable<string> otherTargets, IReadOnlyList<string> worldWritable)
    {
        if (temp is not null && !otherTargets.Any(target => target == "/tmp" || target.StartsWith("/tmp/", StringComparison.Ordinal)))
            return ["--bind", temp.Source, "/tmp"];
        return [.. worldWritable, "--tmpfs", "/tmp"];
    }

    /// <summary>The mount the sandbox shows at /tmp: the job's bound TMPDIR.</summary>
    public static FolderMount Mount(string bindPoint) => new(bindPoint, "/tmp", Writable: true);
}
