using System.Diagnostics;
using System.Globalization;

namespace Ci.Server.Isolation;

/// <summary>
/// One job's confinement (from <see cref="JobPrison.Enter"/>): every program it runs starts inside its cgroup
/// (<see cref="Confine"/>), whatever is left in the cgroup is killed after each step and at the end, its workspace
/// is a size-limited filesystem (<see cref="MountDisk"/>), and it runs as its slot's own uid. Disposing kills what
/// is left, unmounts the disk and gives the uid back, in that order; it is safe to call more than once.
/// </summary>
internal sealed class JobConfinement : IAsyncDisposable
{
    private readonly JobPrison _prison;
    private readonly Guid _jobId;
    private readonly JobCgroup? _cgroup;
    private readonly long? _diskBytes;
    private JobCgroup? _helpers;
    private JobCgroup? _services;
    private string? _disk;
    private string? _temp;
    private int _disposed;

    internal JobConfinement(JobPrison prison, Guid jobId, JobCgroup? cgroup, int? uid, long? diskBytes)
    {
        _prison = prison;
        _jobId = jobId;
        _cgroup = cgroup;
        Uid = uid;
        _diskBytes = diskBytes;
    }

    /// <summary>The slot's uid the job runs as; null when jobs keep the server's user.</summary>
    public int? Uid { get; }

    /// <summary>Makes <paramref name="start"/> enter the job's cgroup before its program runs (nothing when there is none).</summary>
    public void Confine(ProcessStartInfo start) => Confine(start, _cgroup);

    /// <summary>
    /// Makes a service of the job (<see cref="Services.JobServiceLaunch"/>) start in <c>&lt;job&gt;/services</c>: it counts
    /// against the job's limits and dies with the job, but outlives the kill after each step.
    /// </summary>
    public void ConfineService(ProcessStartInfo start)
    {
        if (_cgroup is null) return;
        _services ??= _cgroup.CreateChild("services");
        Confine(start, _services);
    }

    private static void Confine(ProcessStartInfo start, JobCgroup? cgroup)
    {
        if (cgroup is null) return;
        var inside = cgroup.CommandInside([start.FileName, .. start.ArgumentList]);
        start.FileName = inside[0];
        start.ArgumentList.Clear();
        foreach (var argument in inside.Skip(1)) start.ArgumentList.Add(argument);
    }

    /// <summary>
    /// Puts the job's workspace on a filesystem of <c>--job-disk-mb</c> (workspace, TMPDIR and /tmp share it): past it the
    /// job gets ENOSPC and the server's disk is untouched. Only as root with a per-slot uid; before the upload is unpacked.
    /// </summary>
    public void MountDisk(JobWorkspace workspace)
    {
        if (_diskBytes is not { } bytes || Uid is not { } uid || !OperatingSystem.IsLinux()) return;
        JobDisk.Mount(workspace.Root, bytes, uid, uid);
        _disk = workspace.Root;
        // The mount hides what JobWorkspace made; its root must stay the job's alone.
        File.SetUnixFileMode(workspace.Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var folder in new[] { workspace.Source, workspace.Home, workspace.Temp }) Directory.CreateDirectory(folder);
        // The job's /tmp is its TMPDIR on this disk, not a tmpfs of its own: one limit for all three.
        _temp = JobTemp.Bind(workspace.Root, workspace.Temp);
    }

    /// <summary>What a sandbox shows every program of the job besides its folders: its TMPDIR as /tmp once the disk is mounted.</summary>
    public IReadOnlyList<FolderMount> SandboxMounts => _temp is null ? [] : [JobTemp.Mount(_temp)];

    /// <summary>Moves the job's pasta (its pid file) into a cgroup of the job's, so it is killed with the job.</summary>
    public void AdoptNetwork(string pidFile)
    {
        if (!File.Exists(pidFile)) return;
        if (!int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) return;
        // Outside the job's own cgroup: that one is emptied after every step, and pasta must live until the job ends.
        _helpers ??= _prison.HelperCgroup(_jobId);
        _helpers?.AddProcess(pid);
    }

    /// <summary>Kills whatever the job's programs left running (a process in a new session, without the job's marker).</summary>
    public Task KillProcessesAsync(CancellationToken cancellationToken) => _cgroup?.KillAsync(cancellationToken) ?? Task.CompletedTask;

    /// <summary>
    /// The line a job killed for running out of memory ends with, naming the limit; null when it was not.
    /// </summary>
    public string? OutOfMemoryLine()
    {
        if (_cgroup is null || _cgroup.OutOfMemoryKills() == 0) return null;
        var limit = _prison.Limits.MemoryBytes is { } bytes ? $"limit {bytes >> 20} MB, --job-memory-mb" : "no --job-memory-mb limit";
        return $"Job killed: out of memory ({limit}).";
    }

    /// <summary>Kills and removes the job's cgroups, unmounts its disk, then gives its uid back.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            // Not cancellable: nothing of the job may survive a shutdown.
            if (_cgroup is not null) await _cgroup.RemoveAsync(CancellationToken.None);
            if (_helpers is not null) await _helpers.RemoveAsync(CancellationToken.None);
            if (_temp is not null) JobTemp.Unbind(_disk!);
            if (_disk is not null) JobPrison.UnmountDisk(_disk);
        }
        finally
        {
            // A uid whose processes could not be killed stays taken: the next job must not share it.
            if (Uid is { } uid && (_cgroup is null || _cgroup.ProcessesWithChildren().Count == 0)) _prison.Release(uid);
        }
    }
}
