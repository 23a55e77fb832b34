using Ci.Core.Protocol;
using Ci.Server.Isolation;
using Ci.Server.Jobs;
using Ci.Server.Recipes;
using Ci.Server.Recipes.Environments;
using Ci.Server.Services;
using Ci.Server.Uploads;
using Ci.Store;

namespace Ci.Server.Runner;

/// <summary>
/// What the runner does with each job it claimed: unpacks the upload into the job's site, runs the recipe in the
/// sandbox as the job's user, then cleans up and tells the lifecycle how the run ended. Set up once at start-up from
/// the runner's options and the host's capabilities.
/// </summary>
internal sealed partial class JobExecutor
{
    private readonly IRunnerChannel _channel;
    private readonly RunnerOptions _options;
    private readonly HostCapabilities _host;
    private readonly ILogger _logger;
    private readonly JobUser? _jobUser;
    private readonly string? _jobUserProblem;
    private readonly JobPrison _prison;
    private readonly EnvironmentCache? _environments;
    private readonly JobServices _services;
    private PythonInterpreter? _python;
    private string? _pythonError;

    /// <param name="logger">The runner's logger: these lines are the runner's.</param>
    public JobExecutor(IRunnerChannel channel, RunnerOptions options, HostCapabilities host, ILogger logger)
    {
        _channel = channel;
        _options = options;
        _host = host;
        _logger = logger;
        _jobUser = JobUser.For(host, out _jobUserProblem);
        if (options.Sandbox == SandboxMode.Bwrap && host.Bwrap is null) throw new InvalidOperationException("bwrap is not on PATH.");
        _prison = new JobPrison(options.WorkRoot, options.Limits, options.JobUidRange, _jobUser is not null, host);
        _environments = options.EnvironmentCacheBytes > 0
            ? new EnvironmentCache(Path.Combine(options.WorkRoot, ".environments"), options.EnvironmentCacheBytes, options.Sandbox == SandboxMode.Bwrap, _jobUser, logger, options.EnvironmentBuildUid)
            : null;
        _services = new JobServices(ServiceCatalog.Host, Path.Combine(options.WorkRoot, ".services"));
    }

    /// <summary>The sandbox that runs a job's programs as <paramref name="user"/> (its slot's uid).</summary>
    private Sandbox CreateSandbox(JobUser? user) =>
        _options.Sandbox == SandboxMode.Bwrap ? new BwrapSandbox(_host.Bwrap!, user) : new NoSandbox(user);

    // An unsandboxed job of another user reaches its workspace through the work root itself.
    private bool WorkRootTraversable => _jobUser is not null && _options.Sandbox == SandboxMode.None;

    /// <summary>
    /// Before the first claim: says what jobs will get (sandbox, network, Python, user), and clears what a previous
    /// run left in the work folder.
    /// </summary>
    public async Task StartAsync(string runnerId, CancellationToken cancellationToken)
    {
        LogHost(_logger, _host.Summary);
        if (_options.Sandbox == SandboxMode.None) LogNoSandbox(_logger);
        if (_options.Network == JobNetworkMode.Host) LogHostNetwork(_logger, _host.NetworkProblem(outbound: true) ?? "--job-network host");
        (_python, _pythonError) = await PythonInterpreter.ResolveAsync(_options.Python, cancellationToken);
        if (_python is null) LogPythonBroken(_logger, _pythonError!);
        else LogStarted(_logger, runnerId, _options.Concurrency, _options.Sandbox, _options.Network, _python.Executable, _options.WorkRoot, _options.Lease.TotalSeconds);

        JobWorkspace.PrepareWorkRoot(_options.WorkRoot, WorkRootTraversable);
        if (await _prison.StartAsync(_options.WorkRoot, cancellationToken) is { } noCgroups) LogNoCgroups(_logger, noCgroups);
        JobServices.StopLeftovers(_options.WorkRoot);
        JobSite.DeleteLeftovers(_options.WorkRoot, ownNetworks: _options.Network != JobNetworkMode.Host, _host);
        _environments?.Open();
        LogJobUser();
    }

    /// <summary>After the last job has ended: removes what the runner made for its jobs (its cgroup folder).</summary>
    public void Close() => _prison.Close();

    /// <summary>Takes a claimed job from its upload to its end.</summary>
    /// <param name="cancellationToken">Cancelled only when the host stops waiting for the runner: the job's store writes stop too.</param>
    public Task RunAsync(Guid jobId, RunningJob handle, string runnerId, CancellationToken cancellationToken)
    {
        LogJobClaimed(_logger, jobId, runnerId);
        var log = new JobLog(_channel, jobId, _options.MaxLogBytes);
        return RunConfinedAsync(jobId, jobId, part: null, handle, runnerId, log,
            outcome => EndAsync(jobId, runnerId, log, StoppedOutcome(handle) ?? outcome, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Runs a job, or a part of one, in a site and confinement of its own named <paramref name="siteId"/>: sets them up,
    /// runs the recipe, kills and deletes what it left, then ends it through <paramref name="endAsync"/>.
    /// </summary>
    private async Task RunConfinedAsync(
        Guid siteId, Guid jobId, JobPart? part, RunningJob handle, string runnerId, JobLog log, Func<JobOutcome, Task> endAsync,
        CancellationToken cancellationToken)
    {
        JobSite? site = null;
        JobConfinement? confinement = null;
        try
        {
            JobOutcome outcome;
            try
            {
                // A cancel that reached the store between our claim and our registration found nothing to stop here
                // (a part learns of its job's end from its lease).
                if (part is null && await _channel.IsCancelledAsync(jobId, cancellationToken)) handle.Stop(StopReason.Cancelled);
                confinement = _prison.Enter(siteId);
                site = JobSite.Create(_options.WorkRoot, siteId, WorkRootTraversable);
                outcome = await PrepareAndRunAsync(jobId, runnerId, site, confinement, log, handle, cancellationToken, part);
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
            {
                LogJobCrashed(_logger, exception, jobId);
                outcome = JobOutcome.Failed($"Runner error: {exception.Message}");
            }
            // Its processes first (they may hold its disk busy), then its folders.
            await ReleaseAsync(siteId, confinement);
            if (site is not null && !site.TryDelete()) LogWorkspaceLeft(_logger, site.Workspace.Root);
            await endAsync(outcome);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The store is failing: the lease expires and the job (or part) is recovered (or the next start-up ends it).
            LogJobCrashed(_logger, exception, jobId);
        }
        finally
        {
            // Abandoned at shutdown: its processes, network and folders still go (nothing left to do when done above).
            await ReleaseAsync(siteId, confinement);
            site?.Dispose();
        }
    }

    /// <summary>Kills what is left of the job, unmounts its disk and frees its uid; never throws.</summary>
    private async Task ReleaseAsync(Guid jobId, JobConfinement? confinement)
    {
        if (confinement is null) return;
        try
        {
            await confinement.DisposeAsync();
        }
        catch (Exception exception) when (exception is IOException or TimeoutException or UnauthorizedAccessException or InvalidOperationException)
        {
            LogConfinementLeft(_logger, exception, jobId);
        }
    }

    /// <summary>How a job that was stopped ended, whatever its recipe said; null when it was not stopped.</summary>
    private JobOutcome? StoppedOutcome(RunningJob handle) => handle.Reason switch
    {
        StopReason.TimedOut => new JobOutcome(JobOutcomeKind.TimedOut, Timeout: handle.Timeout),
        StopReason.ShuttingDown => new JobOutcome(_options.HandBackOnShutdown ? JobOutcomeKind.HandedBack : JobOutcomeKind.StoppedAtShutdown),
        StopReason.Cancelled => new JobOutcome(JobOutcomeKind.Cancelled),
        StopReason.LeaseLost => new JobOutcome(JobOutcomeKind.LeaseLost),
        _ => null,
    };

    /// <summary>Stops the job's log and tells the lifecycle how the run ended (it decides what the job becomes).</summary>
    private async Task EndAsync(Guid jobId, string runnerId, JobLog log, JobOutcome outcome, CancellationToken cancellationToken)
    {
        // Someone else's now (lease lost, cancelled, handed back): what the job left unsaved is dropped. Else it is all
        // stored before the job's last line.
        if (outcome.Kind is not (JobOutcomeKind.LeaseLost or JobOutcomeKind.Cancelled or JobOutcomeKind.HandedBack))
            await log.FlushAsync(cancellationToken);
        log.Close();
        var status = await _channel.EndAsync(jobId, runnerId, outcome, cancellationToken);
        switch (outcome.Kind)
        {
            case JobOutcomeKind.LeaseLost:
                LogJobAbandoned(_logger, jobId);
                break;
            case JobOutcomeKind.HandedBack:
                if (status is not null) LogHandedBack(_logger, jobId);
                break;
            default:
                LogJobEnded(_logger, jobId, status ?? JobStatus.Cancelled, outcome.Success);
                break;
        }
    }

    /// <param name="part">The part of the job to run (a shard taken from another runner's job); null for the whole job.</param>
    private async Task<JobOutcome> PrepareAndRunAsync(
        Guid jobId, string runnerId, JobSite site, JobConfinement confinement, JobLog log, RunningJob running, CancellationToken cancellationToken,
        JobPart? part = null)
    {
        var workspace = site.Workspace;
        if (running.StopToken.IsCancellationRequested) return JobOutcome.Failed("stopped");
        confinement.MountDisk(workspace);
        await using (var upload = await _channel.OpenUploadAsync(jobId, cancellationToken))
        {
            if (upload is null) return JobOutcome.Failed("Bad upload: the uploaded project is missing.");
            try
            {
                await SafeZipExtractor.ExtractAsync(upload, workspace.Source, _options.UploadLimits ?? UploadLimits.Default, cancellationToken);
            }
            catch (UploadRejectedException exception)
            {
                return JobOutcome.Failed($"Bad upload: {exception.Message}");
            }
        }
        if (_python is null) return JobOutcome.Failed($"Cannot run the job: {_pythonError}");
        // Only now: the job's user must never own a folder the server is still writing into.
        var user = _jobUser is not null && confinement.Uid is { } uid ? _jobUser with { Uid = (uint)uid, Gid = (uint)uid } : _jobUser;
        if (user is not null) workspace.HandTo(user);
        var enterNetwork = site.ConnectNetwork(_options.Network, _host, _options.NetworkAllow);
        confinement.AdoptNetwork(workspace.NetworkPidFile);
        var sandbox = CreateSandbox(user);
        // A part keeps no artifacts (its job's runner does).
        var artifacts = part is null ? new JobArtifacts(_channel, jobId, _options.MaxArtifactBytes, log) : null;
        var steps = new JobSteps(sandbox, $"{PythonRecipe.MarkerVariable}={jobId:D}", log, running, _channel,
            _options.Sandbox == SandboxMode.Bwrap ? [.. site.SandboxMounts, .. confinement.SandboxMounts] : null, _options.Sandbox == SandboxMode.Bwrap ? workspace.FixedPaths : null,
            confinement, artifacts, runnerId, part);
        var services = new ServiceSetup(_services, JobServiceLaunch.For(sandbox, enterNetwork, confinement));
        var tests = await _channel.GetTestPlanAsync(jobId, cancellationToken);
        if (part is not null) tests = tests with { OnlyTests = part.TestIds };
        var outcome = await new PythonRecipe(_python, _options.JobTimeout, enterNetwork, _environments, services)
            .RunAsync(jobId, workspace, steps, cancellationToken, tests);
        return confinement.OutOfMemoryLine() is { } outOfMemory ? JobOutcome.Failed(outOfMemory) : outcome;
    }

    private void LogJobUser()
    {
        if (_jobUser is { } user)
        {
            LogJobsUnprivileged(_logger, _prison.UidRange ?? user.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture), _prison.Limits.ToString(),
                _prison.UsesCgroups ? "its own cgroup" : "no cgroup");
            if (WorkRootTraversable && FirstUntraversableFolder(_options.WorkRoot) is { } closed) LogWorkRootUnreachable(_logger, _options.WorkRoot, closed);
        }
        else if (_jobUserProblem is { } problem)
        {
            LogJobsAsRoot(_logger, problem);
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

    [LoggerMessage(LogLevel.Information, "The server runs as root: jobs run as uids {Uids} (one per slot) without capabilities, each in {Cgroup} ({Limits}).")]
    private static partial void LogJobsUnprivileged(ILogger logger, string uids, string limits, string cgroup);

    [LoggerMessage(LogLevel.Warning, "Jobs run without cgroups (no limits; their processes are found by session and marker only): {Problem}")]
    private static partial void LogNoCgroups(ILogger logger, string problem);

    [LoggerMessage(LogLevel.Error, "Could not kill every process of job {JobId} or unmount its disk; its uid stays taken.")]
    private static partial void LogConfinementLeft(ILogger logger, Exception exception, Guid jobId);

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
