using Ci.Server.Isolation;
using Ci.Server.Runner;
using Ci.Store;

namespace Ci.Server.Hosting.Options;

/// <summary>
/// The runner's settings from ci-server's parsed command line: fills in the defaults that depend on the host
/// (processor count, whether bwrap and pasta work here) and the store (where the work folder goes). The values
/// themselves were checked by the parser (<see cref="RunnerOptionTable"/>).
/// </summary>
public static class RunnerOptionsFactory
{
    private const long Megabyte = 1024 * 1024;

    /// <summary>The runner's part of ci-server's command line; false with one line in <paramref name="error"/> when it cannot work here.</summary>
    public static bool TryCreate(ServerOptions server, out RunnerOptions options, out string error)
    {
        var location = StorePaths.Resolve(server.DbPath);
        var shared = StoreLocation.IsPostgres(location);
        // Runners sharing a host each get their own work folder (each deletes its leftovers at start); the port tells
        // them apart, as no two live processes listen on one.
        var workRoot = server.WorkDirectory ?? (shared ? Path.Combine(Path.GetTempPath(), $"ci-work-{server.Port}") : null);
        var host = HostCapabilities.Current;
        if (SandboxRequirement.Refusal(host.ServerIsRoot, server.Sandbox is not null, host.Bwrap, host.BwrapWorks) is { } refusal)
        {
            options = null!;
            error = refusal;
            return false;
        }
        var created = TryCreate(
            server.Python, server.Concurrency, server.Sandbox, server.JobTimeout, server.MaxLogMb * Megabyte,
            server.GracePeriod, workRoot, shared ? null : location, out options, out error);
        if (!created) return false;
        if (!TryResolveNetwork(server.JobNetwork, out var network, out error)) return false;
        if (server.EnvBuildUid == JobUser.Nobody)
        {
            error = $"Invalid --env-build-uid: {JobUser.Nobody} is nobody, the uid jobs run as.";
            return false;
        }
        options = options with
        {
            UploadLimits = server.UploadLimits, Network = network, EnvironmentCacheBytes = server.EnvCacheMb * Megabyte,
            Lease = server.Lease, HandBackOnShutdown = shared, NetworkAllow = server.JobNetworkAllow,
            EnvironmentBuildUid = server.EnvBuildUid,
            Limits = JobLimits.FromOptions(server.JobMemoryMb, (int)server.JobPids, server.JobCpus, server.JobDiskMb),
            JobUidRange = server.JobUidRange,
            MaxArtifactBytes = (server.MaxArtifactsMb ?? Artifacts.ArtifactCollector.DefaultMaxMegabytes) * Megabyte,
        };
        return CheckUidRange(options, out error);
    }

    /// <summary><c>--job-uid-range</c> must parse and hold a uid for every concurrent job.</summary>
    private static bool CheckUidRange(RunnerOptions options, out string error)
    {
        error = "";
        SlotUsers uids;
        try
        {
            uids = SlotUsers.Parse(options.JobUidRange);
        }
        catch (ArgumentOutOfRangeException)
        {
            error = $"Invalid --job-uid-range: '{options.JobUidRange}' must lie between 1000 and {int.MaxValue - 1}.";
            return false;
        }
        catch (Exception exception) when (exception is FormatException or ArgumentException)
        {
            error = $"Invalid --job-uid-range: {exception.Message}";
            return false;
        }
        if (uids.Count >= options.Concurrency) return true;
        error = $"Invalid --job-uid-range: {options.JobUidRange} holds {uids.Count} uids, fewer than --concurrency {options.Concurrency} (one uid per concurrent job).";
        return false;
    }

    /// <summary>
    /// Runner settings where every null falls back to its default (the Python to <see cref="FindPython"/>, the work
    /// folder to <c>work</c> beside the database, else the temp dir).
    /// </summary>
    /// <param name="sandbox">Null for bwrap when it works here; bwrap asked for by name must work.</param>
    /// <param name="error">One line naming the bad setting when false is returned.</param>
    public static bool TryCreate(
        string? python,
        int? concurrency,
        SandboxMode? sandbox,
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
        if (sandbox == SandboxMode.Bwrap && !RunnerOptions.BwrapWorks())
        {
            error = "Invalid --sandbox: bwrap does not work here (install bubblewrap, or use --sandbox none).";
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
            sandbox ?? (RunnerOptions.BwrapWorks() ? SandboxMode.Bwrap : SandboxMode.None),
            jobTimeout ?? RunnerOptions.DefaultJobTimeout,
            maxLogBytes ?? RunnerOptions.DefaultMaxLogBytes,
            gracePeriod ?? RunnerOptions.DefaultGracePeriod,
            Path.GetFullPath(workRoot));
        return true;
    }

    /// <summary>
    /// <c>--job-network</c>: null for outbound when it works here, else host (the runner warns). A mode asked for by
    /// name must work.
    /// </summary>
    public static bool TryResolveNetwork(JobNetworkMode? asked, out JobNetworkMode mode, out string error)
    {
        error = "";
        switch (asked)
        {
            case null:
                mode = JobNetwork.Supports(JobNetworkMode.Outbound, out _) ? JobNetworkMode.Outbound : JobNetworkMode.Host;
                return true;
            case JobNetworkMode.Host:
                mode = JobNetworkMode.Host;
                return true;
            default:
                mode = asked.Value;
                if (JobNetwork.Supports(mode, out var problem)) return true;
                var name = mode.ToString().ToLowerInvariant();
                error = $"Invalid --job-network: {name} does not work here ({problem}); use --job-network host.";
                return false;
        }
    }

    /// <summary>The Python jobs use: <c>--python</c>, else <c>CI_PYTHON</c>, else <c>python3</c> from PATH.</summary>
    public static string FindPython(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured)) return configured;
        var fromEnvironment = Environment.GetEnvironmentVariable(RunnerOptionTable.PythonVariable);
        return string.IsNullOrWhiteSpace(fromEnvironment) ? RunnerOptions.DefaultPython : fromEnvironment;
    }
}
