using Ci.Server.Recipes.Environments;
using Ci.Server.Isolation;
using Ci.Server.Runner;

namespace Ci.Server.Hosting.Options;

/// <summary>How this process runs jobs: interpreter, parallelism, isolation, limits and where they work.</summary>
public static class RunnerOptionTable
{
    private const long Megabyte = 1024 * 1024;

    /// <summary>Where the Python jobs use comes from when <c>--python</c> is not given.</summary>
    public const string PythonVariable = "CI_PYTHON";

    /// <summary>The job environment cache's size bound when <c>--env-cache-mb</c> is not given.</summary>
    public const long DefaultEnvCacheMb = 2048;

    /// <summary>Per-job limits when not given: bounded, so one job cannot take the host (0 turns one off).</summary>
    public const long DefaultJobMemoryMb = 2048;
    public const long DefaultJobPids = 1024;
    public const long DefaultJobDiskMb = 4096;

    /// <summary>
    /// Two CPUs, not the processor count: a job gets the same share on any host (its tests' timings do not depend
    /// on the machine's size), and on a big host several concurrent jobs cannot each take every core.
    /// </summary>
    public const double DefaultJobCpus = 2;

    // null: whatever works here (the runner options decide once they can probe the host).
    private static readonly Dictionary<string, SandboxMode?> s_sandboxes = new()
    {
        ["bwrap"] = SandboxMode.Bwrap,
        ["none"] = SandboxMode.None,
        ["auto"] = null,
    };

    private static readonly Dictionary<string, JobNetworkMode?> s_networks = new()
    {
        ["outbound"] = JobNetworkMode.Outbound,
        ["none"] = JobNetworkMode.None,
        ["host"] = JobNetworkMode.Host,
        ["auto"] = null,
    };

    public static IReadOnlyList<OptionSpec> Options { get; } =
    [
        OptionSpec.Text("--python", "PATH", "Python used for jobs (default {env}, else {default})", (o, v) => o with { Python = v })
            with { Default = RunnerOptions.DefaultPython, EnvironmentVariable = PythonVariable },
        OptionSpec.Number("--concurrency", "N", "jobs run at the same time (default: processor count)", 1, 1024, (o, n) => o with { Concurrency = (int)n }),
        OptionSpec.Choice("--sandbox", "MODE", "bwrap or none (default bwrap when installed, else none with a warning)", s_sandboxes,
            v => $"Invalid --sandbox: '{v}' (expected bwrap, none or auto).", (o, mode) => o with { Sandbox = mode }),
        OptionSpec.Choice("--job-network", "MODE", "outbound, none or host (default outbound when pasta works here, else host with a warning)", s_networks,
            v => $"Invalid --job-network: '{v}' (expected outbound, none, host or auto).", (o, mode) => o with { JobNetwork = mode }),
        new OptionSpec("--job-network-allow", "CIDRS",
            "comma-separated ranges outbound jobs may reach (a package mirror); closed\n" +
            "otherwise: this host's addresses and private, link-local and multicast ranges", (o, v) => o with { JobNetworkAllow = EgressPolicy.ParseAllowList(v) }),
        OptionSpec.Seconds("--job-timeout", "SECONDS", "a job running longer is killed and fails", 1, 7 * 24 * 3600, (o, t) => o with { JobTimeout = t })
            with { Default = $"{RunnerOptions.DefaultJobTimeout.TotalSeconds}" },
        OptionSpec.Number("--max-log-mb", "N", "a job's log is cut at this size", 1, 1_000_000, (o, n) => o with { MaxLogMb = n })
            with { Default = $"{RunnerOptions.DefaultMaxLogBytes / Megabyte}" },
        OptionSpec.Seconds("--grace-seconds", "N", "on shutdown, time running jobs get before they are stopped", 0, 3600, (o, t) => o with { GracePeriod = t })
            with { Default = $"{RunnerOptions.DefaultGracePeriod.TotalSeconds}" },
        OptionSpec.Text("--work-dir", "PATH", "where job workspaces are created (default: 'work' beside the database)", (o, v) => o with { WorkDirectory = v }),
        OptionSpec.Number("--env-cache-mb", "N", "size bound of the cache of job environments, 0 = off", 0, 10_000_000, (o, n) => o with { EnvCacheMb = n })
            with { Default = $"{DefaultEnvCacheMb}" },
        OptionSpec.Number("--env-build-uid", "UID", "uid cached environments are built as (root server): one no job runs as", 1000, int.MaxValue - 1,
                (o, n) => o with { EnvBuildUid = (uint)n })
            with { Default = $"{EnvironmentCache.DefaultBuildUid}" },
        OptionSpec.Number("--job-memory-mb", "N", "memory of a job's processes together, its tmpfs included; past it the job is killed (0 = no limit)",
            0, 1_000_000, (o, n) => o with { JobMemoryMb = n }) with { Default = $"{DefaultJobMemoryMb}" },
        OptionSpec.Number("--job-pids", "N", "processes and threads a job may have at once (0 = no limit)", 0, 4_000_000, (o, n) => o with { JobPids = n })
            with { Default = $"{DefaultJobPids}" },
        OptionSpec.Fraction("--job-cpus", "N", "CPU quota of a job, fractions allowed (0.5 = half a core; 0 = no limit)", 0, 1024, (o, n) => o with { JobCpus = n })
            with { Default = $"{DefaultJobCpus}" },
        OptionSpec.Number("--job-disk-mb", "N", "a job's workspace, TMPDIR and /tmp together; past it writes fail with ENOSPC (0 = no limit)",
            0, 10_000_000, (o, n) => o with { JobDiskMb = n }) with { Default = $"{DefaultJobDiskMb}" },
        OptionSpec.Text("--job-uid-range", "FIRST-LAST", "uids jobs run as when the server is root, one per concurrent job (at least --concurrency)",
            (o, v) => o with { JobUidRange = v }) with { Default = RunnerOptions.DefaultJobUidRange },
        OptionSpec.Number("--max-artifacts-mb", "N", "artifacts kept per job; past it the job's log names what was left out", 0, 1_000_000,
            (o, n) => o with { MaxArtifactsMb = n }) with { Default = $"{Artifacts.ArtifactCollector.DefaultMaxMegabytes}" },
    ];
}
