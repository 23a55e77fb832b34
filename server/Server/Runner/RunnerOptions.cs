using Ci.Server.Isolation;
using Ci.Server.Uploads;

namespace Ci.Server.Runner;

/// <summary>Settings of the job runner, built from the command line by <c>RunnerOptionsFactory</c> (Hosting/Options).</summary>
/// <param name="Concurrency">Jobs that run at once.</param>
/// <param name="Python">The interpreter jobs use (<c>--python</c> / <c>CI_PYTHON</c>); resolved to its real path at start.</param>
/// <param name="Sandbox">Isolation of job processes.</param>
/// <param name="JobTimeout">Wall-clock limit of a whole job (install and tests).</param>
/// <param name="MaxLogBytes">
/// Cap on a job's own output (UTF-8 bytes). 10 MiB by default: a verbose pytest run of thousands of tests logs
/// well under 1 MiB, so only runaway output is cut, and the store cannot be filled by one job.
/// </param>
/// <param name="GracePeriod">On shutdown, how long running jobs may still finish before they are killed.</param>
/// <param name="WorkRoot">Folder that holds one private folder per running job.</param>
/// <param name="UploadLimits">Limits the upload is checked against again while it is unpacked (the server's defaults when null).</param>
/// <param name="Network">The network jobs get (<c>--job-network</c>).</param>
/// <param name="EnvironmentCacheBytes">Size bound of the cache of job environments (in <c>.environments</c> under the work root); 0 turns it off.</param>
public sealed record RunnerOptions(
    int Concurrency,
    string Python,
    SandboxMode Sandbox,
    TimeSpan JobTimeout,
    long MaxLogBytes,
    TimeSpan GracePeriod,
    string WorkRoot,
    UploadLimits? UploadLimits = null,
    JobNetworkMode Network = JobNetworkMode.Host,
    long EnvironmentCacheBytes = 0)
{
    /// <summary>How long a claimed job stays this runner's without a heartbeat; renewed every third of it.</summary>
    public TimeSpan Lease { get; init; } = DefaultLease;

    /// <summary>
    /// On shutdown, jobs still running after the grace period go back to the queue for another runner (shared store),
    /// instead of failing (a single server, which nobody else would run them on while it is down).
    /// </summary>
    public bool HandBackOnShutdown { get; init; }

    /// <summary>Ranges outbound jobs may reach besides the internet (<c>--job-network-allow</c>); see <see cref="EgressPolicy"/>.</summary>
    public IReadOnlyList<CidrRange> NetworkAllow { get; init; } = [];

    /// <summary>The uid cached environments are built as (<c>--env-build-uid</c>): one no job has.</summary>
    public uint EnvironmentBuildUid { get; init; } = Recipes.Environments.EnvironmentCache.DefaultBuildUid;
    /// <summary>What each job may take (memory, processes, CPU, disk); bounded by default.</summary>
    public JobLimits Limits { get; init; } = JobLimits.Default;
    /// <summary>The uids jobs run as, one per concurrent slot (<c>--job-uid-range</c>), when the server is root.</summary>
    public string JobUidRange { get; init; } = DefaultJobUidRange;
    public const string DefaultJobUidRange = "62000-62063";
    /// <summary>The most bytes of artifacts kept per job (<c>--max-artifacts-mb</c>).</summary>
    public long MaxArtifactBytes { get; init; } = Artifacts.ArtifactCollector.DefaultMaxMegabytes * 1024L * 1024;

    public static readonly TimeSpan DefaultLease = TimeSpan.FromSeconds(30);
    public const string DefaultPython = "python3";
    public const long DefaultMaxLogBytes = 10 * 1024 * 1024;
    public static readonly TimeSpan DefaultJobTimeout = TimeSpan.FromSeconds(1800);
    public static readonly TimeSpan DefaultGracePeriod = TimeSpan.FromSeconds(10);

    /// <summary>Whether bubblewrap is on PATH and can create a sandbox here (probed once per process).</summary>
    public static bool BwrapWorks() => HostCapabilities.Current.BwrapWorks;
}
