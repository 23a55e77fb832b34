using System.Security.Cryptography;
using System.Text;

namespace Ci.Server.Isolation;

/// <summary>
/// What holds a runner's jobs in, set up once per runner: the cgroups its jobs go in (one folder per runner, named
/// after its work root, so runners sharing a host or a test process never touch each other's jobs), the limits every
/// job gets, and the pool of per-slot uids. <see cref="Enter"/> gives one job its <see cref="JobConfinement"/>.
/// Where cgroups are not usable (a server that is not root) jobs run without them; the host line says so.
/// </summary>
internal sealed class JobPrison
{
    private readonly SlotUsers? _uids;
    private readonly bool _root;
    private CgroupVersion? _cgroups;

    /// <param name="uidRange">The per-slot uid range (<c>--job-uid-range</c>); used only when jobs drop root.</param>
    /// <param name="dropsRoot">Whether jobs run as an unprivileged user (the server is root and has setpriv).</param>
    public JobPrison(string workRoot, JobLimits limits, string uidRange, bool dropsRoot, HostCapabilities host)
    {
        Limits = limits;
        _root = host.ServerIsRoot;
        _cgroups = host.Cgroups.Usable ? host.Cgroups : null;
        _uids = dropsRoot ? SlotUsers.Parse(uidRange) : null;
        CgroupParent = ParentFor(workRoot);
    }

    /// <summary>What every job may take.</summary>
    public JobLimits Limits { get; }

    /// <summary>The folder (under the server's own cgroup) that holds this runner's job cgroups.</summary>
    public string CgroupParent { get; }

    /// <summary>Whether jobs get cgroups (false when the host has none usable or making one failed at start).</summary>
    public bool UsesCgroups => _cgroups is not null;

    /// <summary>The uid range jobs run as, e.g. "62000-62063"; null when jobs keep the server's user.</summary>
    public string? UidRange => _uids is null ? null : $"{_uids.First}-{_uids.First + _uids.Count - 1}";

    /// <summary>
    /// Before the first job: kills and removes the cgroups and unmounts the disks a previous run of this runner left
    /// (a server stopped at any moment of a job's set-up), and checks once that a job cgroup can be made here.
    /// Returns why cgroups cannot be used after all, or null.
    /// </summary>
    public async Task<string?> StartAsync(string workRoot, CancellationToken cancellationToken)
    {
        // Job folders first: a leftover disk must be unmounted before JobSite deletes the folder under it.
        foreach (var jobId in JobWorkspace.Leftovers(workRoot))
        {
            JobTemp.Unbind(Path.Combine(workRoot, jobId.ToString("D")));
            UnmountDisk(Path.Combine(workRoot, jobId.ToString("D")));
        }
        if (_cgroups is null) return null;
        try
        {
            // Nothing of this runner's is live yet: every cgroup under its folder is a leftover.
            await JobCgroup.RemoveLeftoversAsync(_ => false, _cgroups, CgroupParent, cancellationToken);
            var probe = JobCgroup.Create("probe", Limits with { DiskBytes = null }, _cgroups, CgroupParent);
            await probe.RemoveAsync(cancellationToken);
            return null;
        }
        catch (Exception exception) when (exception is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            _cgroups = null;
            return exception.Message;
        }
    }

    /// <summary>After the last job: removes this runner's cgroup folder (left alone while a job still has a cgroup in it).</summary>
    public void Close()
    {
        foreach (var root in _cgroups?.Roots.Values ?? [])
        {
            try
            {
                Directory.Delete(Path.Combine(root, CgroupParent));
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>Gives a job its cgroup and its slot's uid (<paramref name="uid"/> null when jobs keep the server's user).</summary>
    public JobConfinement Enter(Guid jobId)
    {
        int? uid = null;
        if (_uids is not null)
            uid = _uids.Allocate() ?? throw new InvalidOperationException("every uid of --job-uid-range is in use");
        try
        {
            var cgroup = _cgroups is null ? null : JobCgroup.Create(jobId.ToString("D"), Limits with { DiskBytes = null }, _cgroups, CgroupParent);
            return new JobConfinement(this, jobId, cgroup, uid, _root ? Limits.DiskBytes : null);
        }
        catch
        {
            if (uid is { } taken) _uids!.Release(taken);
            throw;
        }
    }

    /// <summary>A cgroup outside the job's limits for what the server starts on a job's behalf (its pasta).</summary>
    internal JobCgroup? HelperCgroup(Guid jobId) =>
        _cgroups is null ? null : JobCgroup.Create(jobId.ToString("D") + "-net", JobLimits.None, _cgroups, CgroupParent);

    internal void Release(int uid) => _uids?.Release(uid);

    /// <summary>Detaches a job's disk (<see cref="JobDisk"/>) from its folder; not mounted is not an error.</summary>
    internal static void UnmountDisk(string folder)
    {
        if (!OperatingSystem.IsLinux()) return;
        // EINVAL: not a mount point; ENOENT: no such folder; EPERM: not root (nothing was mounted then).
        NativeFiles.Unmount(folder, NativeFiles.MNT_DETACH);
    }

    /// <summary>"ci-" and a hash of the work root: a flat name, as cgroup v2 passes controllers down one level at a time.</summary>
    private static string ParentFor(string workRoot) =>
        "ci-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(workRoot))))[..12];
}
