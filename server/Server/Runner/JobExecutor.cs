using Ci.Core.Protocol;
using Ci.Server.Isolation;
using Ci.Server.Jobs;
using Ci.Server.Recipes;
using Ci.Server.Recipes.Environments;
using Ci.Server.Uploads;

namespace Ci.Server.Runner;

/// <summary>
/// What the runner does with each job it claimed: unpacks the upload into the job's site, runs the recipe in the
/// sandbox as the job's user, then cleans up and tells the lifecycle how the run ended. Set up once at start-up from
/// the runner's options and the host's capabilities.
/// </summary>
/// <param name="logger">The runner's logger (the lines are the runner's).</param>
internal sealed partial class JobExecutor
{
    private readonly IRunnerChannel channel;
    private readonly RunnerOptions options;
    private readonly HostCapabilities host;
    private readonly ILogger logger;
    private readonly JobUser? _jobUser;
    private readonly string? _jobUserProblem;
    private readonly Sandbox _sandbox;
    private readonly EnvironmentCache? _environments;
    private PythonInterpreter? _python;
    private string? _pythonError;

    public JobExecutor(IRunnerChannel channel, RunnerOptions options, HostCapabilities host, ILogger logger)
    {
        this.channel = channel;
        this.options = options;
        this.host = host;
        this.logger = logger;
        _jobUser = JobUser.For(host, out _jobUserProblem);
        _sandbox = options.Sandbox switch
        {
            SandboxMode.Bwrap => new BwrapSandbox(host.Bwrap ?? throw new InvalidOperationException("bwrap is not on PATH."), _jobUser),
            _ => new NoSandbox(_jobUser),
        };
        _environments = options.EnvironmentCacheBytes > 0
            ? new EnvironmentCache(Path.Combine(options.WorkRoot, ".environments"), options.EnvironmentCacheBytes, options.Sandbox == SandboxMode.Bwrap, _jobUser, logger)
            : null;
    }

    // An unsandboxed job of another user reaches its workspace through the work root itself.
    private bool WorkRootTraversable => _jobUser is not null && options.Sandbox == SandboxMode.None;

    /// <summary>
    /// Before the first claim: says what jobs will get (sandbox, network, Python, user), and clears what a previous
    /// run left in the work folder.
    /// </summary>
    public async Task StartAsync(string runnerId, CancellationToken cancellationToken)
    {
        LogHost(logger, host.Summary);
        if (options.Sandbox == SandboxMode.None) LogNoSandbox(logger);
        if (options.Network == JobNetworkMode.Host)
        {
            JobNetwork.Supports(JobNetworkMode.Outbound, out var networkProblem);
            LogHostNetwork(logger, networkProblem ?? "--job-network host");
        }
        (_python, _pythonError) = await PythonInterpreter.ResolveAsync(options.Python, cancellationToken);
        if (_python is null) LogPythonBroken(logger, _pythonError!);
        else LogStarted(logger, runnerId, options.Concurrency, options.Sandbox, options.Network, _python.Executable, options.WorkRoot, options.Lease.TotalSeconds);

        JobWorkspace.PrepareWorkRoot(options.WorkRoot, WorkRootTraversable);
        JobSite.DeleteLeftovers(options.WorkRoot, ownNetworks: options.Network != JobNetworkMode.Host, host);
        _environments?.Open();
        LogJobUser();
    }

    /// <summary>Takes a claimed job from its upload to its end.</summary>
    /// <param name="cancellationToken">Cancelled only when the host stops waiting for the runner: the job's store writes stop too.</param>
    public async Task RunAsync(Guid jobId, RunningJob handle, string runnerId, CancellationToken cancellationToken)
    {
        var log = new JobLog(channel, jobId, options.MaxLogBytes);
        JobSite? site = null;
        JobOutcome outcome;
        LogJobClaimed(logger, jobId, runnerId);
        try
        {
            // A cancel that reached the store between our claim and our registration found nothing to stop here.
            if (await channel.IsCancelledAsync(jobId, cancellationToken)) handle.Stop(StopReason.Cancelled);
            site = JobSite.Create(options.WorkRoot, jobId, WorkRootTraversable);
            outcome = await PrepareAndRunAsync(jobId, site, log, handle, cancellationToken);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            LogJobCrashed(logger, exception, jobId);
            outcome = JobOutcome.Failed($"Runner error: {exception.Message}");
        }
        outcome = handle.Reason switch
        {
            StopReason.TimedOut => new JobOutcome(JobOutcomeKind.TimedOut, Timeout: handle.Timeout),
            StopReason.ShuttingDown => new JobOutcome(options.HandBackOnShutdown ? JobOutcomeKind.HandedBack : JobOutcomeKind.StoppedAtShutdown),
            StopReason.Cancelled => new JobOutcome(JobOutcomeKind.Cancelled),
            StopReason.LeaseLost => new JobOutcome(JobOutcomeKind.LeaseLost),
            _ => outcome,
        };
        try
        {
            if (site is not null && !site.TryDelete()) LogWorkspaceLeft(logger, site.Workspace.Root);
            await EndAsync(jobId, runnerId, log, outcome, cancellationToken);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The store is failing: the job's lease expires and the job is recovered (or the next start-up ends it).
            LogJobCrashed(logger, exception, jobId);
        }
        finally
        {
            // Abandoned at shutdown: its network and folders still go (a no-op when TryDelete above succeeded).
            site?.Dispose();
        }
    }

    /// <summary>Stops the job's log and tells the lifecycle how the run ended (it decides what the job becomes).</summary>
    private async Task EndAsync(Guid jobId, string runnerId, JobLog log, JobOutcome outcome, CancellationToken cancellationToken)
    {
        // Someone else's now (lease lost, cancelled, handed back): what the job left unsaved is dropped. Else it is all
        // stored before the job's last line.
        if (outcome.Kind is not (JobOutcomeKind.LeaseLost or JobOutcomeKind.Cancelled or JobOutcomeKind.HandedBack))
            await log.FlushAsync(cancellationToken);
        log.Close();
        var status = await channel.EndAsync(jobId, runnerId, outcome, cancellationToken);
        switch (outcome.Kind)
        {
            case JobOutcomeKind.LeaseLost:
                LogJobAbandoned(logger, jobId);
                break;
            case JobOutcomeKind.HandedBack:
                if (status is not null) LogHandedBack(logger, jobId);
                break;
            default:
                LogJobEnded(logger, jobId, status ?? JobStatus.Cancelled, outcome.Success);
                break;
        }
    }

    private async Task<JobOutcome> PrepareAndRunAsync(Guid jobId, JobSite site, JobLog log, RunningJob running, CancellationToken cancellationToken)
    {
        var workspace = site.Workspace;
        if (running.StopToken.IsCancellationRequested) return JobOutcome.Failed("stopped");
        await using (var upload = await channel.OpenUploadAsync(jobId, cancellationToken))
        {
            if (upload is null) return JobOutcome.Failed("Bad upload: the uploaded project is missing.");
            try
            {
                await SafeZipExtractor.ExtractAsync(upload, workspace.Source, options.UploadLimits ?? UploadLimits.Default, cancellationToken);
            }
            catch (UploadRejectedException exception)
            {
                return JobOutcome.Failed($"Bad upload: {exception.Message}");
            }
        }
        if (_python is null) return JobOutcome.Failed($"Cannot run the job: {_pythonError}");
        // Only now: the job's user must never own a folder the server is still writing into.
        if (_jobUser is not null) workspace.HandTo(_jobUser);
        var enterNetwork = site.ConnectNetwork(options.Network, host);
        var steps = new JobSteps(_sandbox, $"{PythonRecipe.MarkerVariable}={jobId:D}", log, running);
        return await new PythonRecipe(_python, options.JobTimeout, enterNetwork, _environments)
            .RunAsync(jobId, workspace, steps, cancellationToken);
    }

    private void LogJobUser()
    {
        if (_jobUser is { } user)
        {
            LogJobsUnprivileged(logger, user.Uid);
            if (WorkRootTraversable && FirstUntraversableFolder(options.WorkRoot) is { } closed) LogWorkRootUnreachable(logger, options.WorkRoot, closed);
        }
        else if (_jobUserProblem is { } problem)
        {
            LogJobsAsRoot(logger, problem);
        }
    }

    /// <summary>The first folder above <paramref name="path"/> that other users cannot pass through, if any.</summary>
    private static string? FirstUntraversableFolder(string path)
    {
        if (OperatingSystem.IsWindows()) return null;
        for (var folder = Path.GetDirectoryName(path); folder is not null; folder = Path.GetDirectoryName(folder))
        {
            if ((File.GetUnixFileMode(folder) & UnixFileMode.OtherExecute) == 0) return folder;
        }
        return null;
    }

    [LoggerMessage(LogLevel.Information, "Host: {Capabilities}.")]
    private static partial void LogHost(ILogger logger, string capabilities);

    [LoggerMessage(LogLevel.Warning, "Job sandbox is off (--sandbox none, or bwrap is missing or does not work here: install bubblewrap): jobs see the whole file system, limited only by file permissions.")]
    private static partial void LogNoSandbox(ILogger logger);

    [LoggerMessage(LogLevel.Warning, "Jobs share the server's network: they can reach the CI server's port and every service on this host's loopback ({Reason}). Run the server as root with pasta installed (apt-get install passt) for --job-network outbound.")]
    private static partial void LogHostNetwork(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Information, "The server runs as root: jobs run as uid {Uid} without capabilities.")]
    private static partial void LogJobsUnprivileged(ILogger logger, uint uid);

    [LoggerMessage(LogLevel.Warning, "The server runs as root but jobs cannot drop to an unprivileged user ({Problem}): jobs run as root. Install util-linux.")]
    private static partial void LogJobsAsRoot(ILogger logger, string problem);

    [LoggerMessage(LogLevel.Warning, "Jobs run as an unprivileged user without a sandbox, but {Folder} (above the work folder {WorkRoot}) is closed to other users: jobs will fail. Allow others to traverse it (chmod o+x) or move --work-dir.")]
    private static partial void LogWorkRootUnreachable(ILogger logger, string workRoot, string folder);

    [LoggerMessage(LogLevel.Error, "Jobs will fail: {Reason}")]
    private static partial void LogPythonBroken(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Information, "Job runner {RunnerId} started: {Concurrency} at a time, sandbox {Sandbox}, network {Network}, Python {Python}, work folder {WorkRoot}, lease {LeaseSeconds} s.")]
    private static partial void LogStarted(ILogger logger, string runnerId, int concurrency, SandboxMode sandbox, JobNetworkMode network, string python, string workRoot, double leaseSeconds);

    [LoggerMessage(LogLevel.Information, "Job {JobId} claimed by runner {RunnerId}.")]
    private static partial void LogJobClaimed(ILogger logger, Guid jobId, string runnerId);

    [LoggerMessage(LogLevel.Warning, "Job {JobId} stopped without an end: its lease was lost.")]
    private static partial void LogJobAbandoned(ILogger logger, Guid jobId);

    [LoggerMessage(LogLevel.Information, "Job {JobId} handed back to the queue.")]
    private static partial void LogHandedBack(ILogger logger, Guid jobId);

    [LoggerMessage(LogLevel.Error, "Job {JobId} crashed the runner.")]
    internal static partial void LogJobCrashed(ILogger logger, Exception exception, Guid jobId);

    [LoggerMessage(LogLevel.Warning, "Could not delete the job folder {Folder}.")]
    private static partial void LogWorkspaceLeft(ILogger logger, string folder);

    [LoggerMessage(LogLevel.Information, "Job {JobId} ended: {Status}, success {Success}.")]
    private static partial void LogJobEnded(ILogger logger, Guid jobId, JobStatus status, bool success);
}
