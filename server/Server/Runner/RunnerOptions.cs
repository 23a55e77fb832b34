using System.Diagnostics;
using Ci.Server.Isolation;
using Ci.Server.Uploads;
using Ci.Store;

namespace Ci.Server.Runner;

/// <summary>How a job's processes are isolated from the server.</summary>
public enum SandboxMode
{
    /// <summary>Bubblewrap: the job sees only the system folders, its Python and its own workspace.</summary>
    Bwrap,

    /// <summary>Plain child processes: the job can read whatever the server's user can.</summary>
    None,
}

/// <summary>Settings of the job runner.</summary>
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

    public static readonly TimeSpan DefaultLease = TimeSpan.FromSeconds(30);
    public const string DefaultPython = "python3";
    public const long DefaultMaxLogBytes = 10 * 1024 * 1024;
    public static readonly TimeSpan DefaultJobTimeout = TimeSpan.FromSeconds(1800);
    public static readonly TimeSpan DefaultGracePeriod = TimeSpan.FromSeconds(10);

    /// <summary>The runner's part of ci-server's command line.</summary>
    public static bool TryCreate(ServerOptions server, out RunnerOptions options, out string error)
    {
        var location = StorePaths.Resolve(server.DbPath);
        var shared = StoreLocation.IsPostgres(location);
        // Runners sharing a host each get their own work folder (each deletes its leftovers at start); the port tells
        // them apart, as no two live processes listen on one.
        var workRoot = server.WorkDirectory ?? (shared ? Path.Combine(Path.GetTempPath(), $"ci-work-{server.Port}") : null);
        var created = TryCreate(
            server.Python, server.Concurrency, server.Sandbox, server.JobTimeout, server.MaxLogMb * 1024 * 1024,
            server.GracePeriod, workRoot, shared ? null : location, out options, out error);
        if (!created) return false;
        if (!TryParseNetwork(server.JobNetwork, out var network, out error)) return false;
        options = options with
        {
            UploadLimits = server.UploadLimits, Network = network, EnvironmentCacheBytes = server.EnvCacheMb * 1024 * 1024,
            Lease = server.Lease, HandBackOnShutdown = shared,
        };
        return true;
    }

    /// <summary>
    /// Runner settings from the server's command line; every null falls back to its default (the Python to
    /// <see cref="FindPython"/>, the work folder to <c>work</c> beside the database, else the temp dir).
    /// </summary>
    /// <param name="sandbox"><c>bwrap</c>, <c>none</c>, or null / <c>auto</c> for bwrap when it works here.</param>
    /// <param name="error">One line naming the bad setting when false is returned.</param>
    public static bool TryCreate(
        string? python,
        int? concurrency,
        string? sandbox,
        TimeSpan? jobTimeout,
        long? maxLogBytes,
        TimeSpan? gracePeriod,
        string? workRoot,
        string? databasePath,
        out RunnerOptions options,
        out string error)
    {
        options = null!;
        error = "";
        if (concurrency is < 1)
        {
            error = $"Invalid --concurrency: {concurrency} (expected at least 1).";
            return false;
        }
        if (jobTimeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            error = "Invalid --job-timeout: it must be a positive number of seconds.";
            return false;
        }
        if (gracePeriod is { } grace && grace < TimeSpan.Zero)
        {
            error = "Invalid grace period: it must not be negative.";
            return false;
        }
        if (maxLogBytes is < 1)
        {
            error = "Invalid log limit: it must be positive.";
            return false;
        }

        SandboxMode mode;
        switch (sandbox?.Trim().ToLowerInvariant())
        {
            case null or "" or "auto":
                mode = BwrapWorks() ? SandboxMode.Bwrap : SandboxMode.None;
                break;
            case "bwrap" when BwrapWorks():
                mode = SandboxMode.Bwrap;
                break;
            case "bwrap":
                error = "Invalid --sandbox: bwrap does not work here (install bubblewrap, or use --sandbox none).";
                return false;
            case "none":
                mode = SandboxMode.None;
                break;
            default:
                error = $"Invalid --sandbox: '{sandbox}' (expected bwrap, none or auto).";
                return false;
        }

        if (string.IsNullOrWhiteSpace(workRoot))
        {
            var databaseFolder = string.IsNullOrEmpty(databasePath) ? null : Path.GetDirectoryName(Path.GetFullPath(databasePath));
            workRoot = databaseFolder is null ? Path.Combine(Path.GetTempPath(), "ci-work") : Path.Combine(databaseFolder, "work");
        }

        options = new RunnerOptions(
            concurrency ?? Environment.ProcessorCount,
            FindPython(python),
            mode,
            jobTimeout ?? DefaultJobTimeout,
            maxLogBytes ?? DefaultMaxLogBytes,
            gracePeriod ?? DefaultGracePeriod,
            Path.GetFullPath(workRoot));
        return true;
    }

    /// <summary>
    /// <c>--job-network</c>: <c>outbound</c>, <c>none</c> or <c>host</c>; null or <c>auto</c> for outbound when it
    /// works here, else host (the runner warns). A mode asked for by name must work.
    /// </summary>
    public static bool TryParseNetwork(string? value, out JobNetworkMode mode, out string error)
    {
        error = "";
        switch (value?.Trim().ToLowerInvariant())
        {
            case null or "" or "auto":
                mode = JobNetwork.Supports(JobNetworkMode.Outbound, out _) ? JobNetworkMode.Outbound : JobNetworkMode.Host;
                return true;
            case "host":
                mode = JobNetworkMode.Host;
                return true;
            case "outbound" or "none":
                mode = value.Trim().Equals("none", StringComparison.OrdinalIgnoreCase) ? JobNetworkMode.None : JobNetworkMode.Outbound;
                if (JobNetwork.Supports(mode, out var problem)) return true;
                error = $"Invalid --job-network: {value.Trim()} does not work here ({problem}); use --job-network host.";
                return false;
            default:
                mode = JobNetworkMode.Host;
                error = $"Invalid --job-network: '{value}' (expected outbound, none, host or auto).";
                return false;
        }
    }

    /// <summary>The Python jobs use: <c>--python</c>, else <c>CI_PYTHON</c>, else <c>python3</c> from PATH.</summary>
    public static string FindPython(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured)) return configured;
        var fromEnvironment = Environment.GetEnvironmentVariable("CI_PYTHON");
        return string.IsNullOrWhiteSpace(fromEnvironment) ? DefaultPython : fromEnvironment;
    }

    /// <summary>Whether bubblewrap is on PATH and can create a sandbox here (probed once per process).</summary>
    public static bool BwrapWorks() => HostCapabilities.Current.BwrapWorks;
}
