namespace Ci.Server.Isolation;

/// <summary>
/// Everything a job occupies on the host: its workspace under the work root and, unless jobs share the host's
/// network, its network namespace (with pasta). One cleanup removes them all, for a job that ended and, at start-up,
/// for the jobs a previous server process left behind.
/// </summary>
internal sealed class JobSite : IDisposable
{
    private readonly Guid _jobId;
    private IJobNetwork? _network;
    private bool _deleted;

    private JobSite(Guid jobId, JobWorkspace workspace)
    {
        _jobId = jobId;
        Workspace = workspace;
    }

    /// <summary>The job's folders.</summary>
    public JobWorkspace Workspace { get; }

    /// <summary>Creates the job's workspace (replacing one a crashed run of the same job left).</summary>
    /// <param name="workRootTraversable">See <see cref="JobWorkspace.PrepareWorkRoot"/>.</param>
    public static JobSite Create(string workRoot, Guid jobId, bool workRootTraversable) =>
        new(jobId, JobWorkspace.Create(workRoot, jobId, workRootTraversable));

    /// <summary>
    /// Gives the job its own network namespace (<paramref name="mode"/> other than host); returns the command prefix
    /// that enters it, or null for the host's network.
    /// </summary>
    /// <param name="allowed">The ranges of <c>--job-network-allow</c>.</param>
    public IReadOnlyList<string>? ConnectNetwork(JobNetworkMode mode, HostCapabilities host, IReadOnlyList<CidrRange>? allowed = null)
    {
        if (mode == JobNetworkMode.Host) return null;
        _network = host.ServerIsRoot
            ? JobNetwork.Create(_jobId, mode, Workspace.NetworkPidFile, host, allowed)
            : OwnedJobNetwork.Create(mode, Workspace.NetworkPidFile, host, allowed);
        if (_network.ResolvConf is { } resolvConf) File.WriteAllText(ResolvConfFile, resolvConf);
        return _network.EnterCommand;
    }

    /// <summary>What a sandbox shows the job besides its folders: the job's <c>/etc/resolv.conf</c> when it has its own.</summary>
    public IReadOnlyList<FolderMount> SandboxMounts =>
        _network?.ResolvConf is null ? [] : [new FolderMount(ResolvConfFile, "/etc/resolv.conf", Writable: false)];

    // Beside the workspace in the work root, which no job can write; named by the job id, so leftovers go too.
    private string ResolvConfFile => Workspace.Root + ".resolv.conf";

    /// <summary>Removes the job's network, then its folders; never throws. False when a folder could not be deleted.</summary>
    public bool TryDelete()
    {
        _network?.Dispose();
        _network = null;
        try
        {
            JobNetwork.StopPasta(Workspace.NetworkPidFile);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        try
        {
            File.Delete(ResolvConfFile);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        return _deleted = Workspace.TryDelete();
    }

    /// <summary>Cleans up unless <see cref="TryDelete"/> already did (a job abandoned at shutdown).</summary>
    public void Dispose()
    {
        if (!_deleted) TryDelete();
    }

    /// <summary>
    /// At start-up: what a previous run of this runner left behind (<see cref="JobWorkspace.Leftovers"/>), network
    /// namespaces included when jobs get their own (<paramref name="ownNetworks"/>). Only those jobs': other runners on
    /// the same host (other work roots) have live ones.
    /// </summary>
    public static void DeleteLeftovers(string workRoot, bool ownNetworks, HostCapabilities host)
    {
        foreach (var jobId in JobWorkspace.Leftovers(workRoot))
        {
            if (ownNetworks && OperatingSystem.IsLinux()) JobNetwork.DeleteLeftover(jobId, host);
            new JobSite(jobId, JobWorkspace.At(workRoot, jobId)).TryDelete();
        }
    }
}
