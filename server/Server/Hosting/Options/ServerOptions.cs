using Ci.Server.Hosting.Options;
using Ci.Server.Isolation;
using Ci.Server.Metrics;
using Ci.Server.Runner;
using Ci.Server.Uploads;

namespace Ci.Server;

/// <summary>
/// Everything ci-server can be told on its command line. Tests pass their own to
/// <c>ServerApp.CreateBuilderAsync</c> (temp database, small limits, short keep-alive), or go through
/// Program with WebApplicationFactory, whose <c>UseSetting("db", ...)</c> arrives here as <c>--db=...</c>.
/// Every default comes from the option tables (<see cref="ServerCommandLine.Options"/>), which the help shows.
/// </summary>
public sealed record ServerOptions
{
    private const long Megabyte = 1024 * 1024;

    public string Host { get; init; } = ListenOptionTable.DefaultHost;
    public int Port { get; init; } = ListenOptionTable.DefaultPort;
    /// <summary>The SQLite file or PostgreSQL URI; null means <c>CI_DB_PATH</c> or the store's default.</summary>
    public string? DbPath { get; init; }
    /// <summary>What this process does: serve the API, run jobs, or both.</summary>
    public ServerRole Role { get; init; } = ListenOptionTable.DefaultRole;
    /// <summary>How long a runner holds a claimed job without renewing its lease.</summary>
    public TimeSpan Lease { get; init; } = RunnerOptions.DefaultLease;
    public long MaxUploadMb { get; init; } = UploadLimits.DefaultMaxUploadMb;
    public long MaxExpandedMb { get; init; } = UploadLimits.DefaultMaxExpandedMb;
    public int MaxEntries { get; init; } = UploadLimits.DefaultMaxEntries;
    /// <summary>
    /// The incremental-upload blob store's size bound in MB (in the database on PostgreSQL, shared by every API
    /// replica; a folder beside the SQLite file otherwise); 0 turns incremental uploads off. Null: <see cref="DefaultBlobStoreMb"/>.
    /// </summary>
    public long? BlobStoreMb { get; init; }

    /// <summary>The blob store's size bound when <see cref="BlobStoreMb"/> is not given.</summary>
    public const long DefaultBlobStoreMb = UploadOptionTable.DefaultBlobStoreMb;
    /// <summary>Null: <c>&lt;db&gt;.blobs</c> beside the store's uploads (SQLite only: PostgreSQL keeps blobs in the database).</summary>
    public string? BlobStoreDirectory { get; init; }
    /// <summary>Submissions per API key per minute; 0 turns the limit off.</summary>
    public int SubmitRatePerMinute { get; init; } = ApiOptionTable.DefaultSubmitRatePerMinute;
    public TimeSpan KeepAliveInterval { get; init; } = ApiOptionTable.DefaultKeepAliveInterval;
    /// <summary>Hours an ended job's tree (its upload) is kept for reruns; 0 deletes it when the job ends.</summary>
    public int KeepTreesHours { get; init; } = Ci.Server.Reruns.TreeRetention.DefaultHours;
    /// <summary>Where uploads wait while they are checked, before the store takes them. Null: a folder beside the store's uploads.</summary>
    public string? UploadTempDirectory { get; init; }

    /// <summary>Where browsers reach the server (<c>--public-url</c>); null: wherever each request says.</summary>
    public Uri? PublicUrl { get; init; }
    /// <summary>Reverse proxies whose forwarded headers are believed (<c>--trusted-proxy</c>); empty: none.</summary>
    public IReadOnlyList<System.Net.IPNetwork> TrustedProxies { get; init; } = [];
    /// <summary>Days a finished job is kept after it ended; 0 keeps everything.</summary>
    public int RetentionDays { get; init; } = Retention.JobRetentionService.DefaultRetentionDays;
    /// <summary>How often the retention pass runs (not a command-line option: tests shorten it).</summary>
    public TimeSpan RetentionInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Who may read <c>GET /metrics</c>.</summary>
    public MetricsAccess Metrics { get; init; } = ApiOptionTable.DefaultMetrics;
    /// <summary>The bearer token <see cref="MetricsAccess.Bearer"/> asks for (from <c>CI_METRICS_TOKEN</c>).</summary>
    public string? MetricsToken { get; init; }

    // Passed through to the job runner; null means its default (see RunnerOptionsFactory).
    public string? Python { get; init; }
    public int? Concurrency { get; init; }
    /// <summary>Null: bwrap when it works here, else none.</summary>
    public SandboxMode? Sandbox { get; init; }
    /// <summary>Null: outbound when it works here, else host.</summary>
    public JobNetworkMode? JobNetwork { get; init; }
    /// <summary>Ranges outbound jobs may reach besides the internet (<c>--job-network-allow</c>).</summary>
    public IReadOnlyList<CidrRange> JobNetworkAllow { get; init; } = [];
    public TimeSpan? JobTimeout { get; init; }
    public long? MaxLogMb { get; init; }

    /// <summary><c>--max-artifacts-mb</c>; null for the default.</summary>
    public long? MaxArtifactsMb { get; init; }
    public TimeSpan? GracePeriod { get; init; }
    public string? WorkDirectory { get; init; }
    /// <summary>Jobs of one user running at once, over every runner; 0: no cap (users still take turns).</summary>
    public int MaxRunningPerUser { get; init; } = Jobs.FairShare.DefaultMaxRunningPerUser;
    /// <summary>Size bound of the job environment cache in MiB; 0 turns it off.</summary>
    public long EnvCacheMb { get; init; } = RunnerOptionTable.DefaultEnvCacheMb;
    /// <summary>The uid cached environments are built as (<c>--env-build-uid</c>).</summary>
    public uint EnvBuildUid { get; init; } = Recipes.Environments.EnvironmentCache.DefaultBuildUid;
    /// <summary>Per-job limits (<c>--job-memory-mb</c>, <c>--job-pids</c>, <c>--job-cpus</c>, <c>--job-disk-mb</c>); 0 = none.</summary>
    public long JobMemoryMb { get; init; } = RunnerOptionTable.DefaultJobMemoryMb;
    public long JobPids { get; init; } = RunnerOptionTable.DefaultJobPids;
    public double JobCpus { get; init; } = RunnerOptionTable.DefaultJobCpus;
    public long JobDiskMb { get; init; } = RunnerOptionTable.DefaultJobDiskMb;
    /// <summary>The uids jobs run as, one per slot (<c>--job-uid-range FIRST-LAST</c>).</summary>
    public string JobUidRange { get; init; } = RunnerOptions.DefaultJobUidRange;

    // ASP.NET Core host settings; WebApplicationFactory passes these (and UseSetting values) as arguments.
    public string? EnvironmentName { get; init; }
    public string? ContentRoot { get; init; }
    public string? ApplicationName { get; init; }

    /// <summary>Upload limits in bytes, for the validator and the runner's extractor.</summary>
    public UploadLimits UploadLimits => new(MaxUploadMb * Megabyte, MaxExpandedMb * Megabyte, MaxEntries);

    /// <summary>Parses the command line (see <see cref="ServerCommandLine"/>); never throws.</summary>
    public static CommandLine Parse(IReadOnlyList<string> args) => ServerCommandLine.Parse(args);
}
