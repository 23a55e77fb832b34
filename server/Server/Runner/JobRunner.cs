using Ci.Core.Protocol;
using Ci.Server.Isolation;
using Ci.Server.Jobs;
using Ci.Server.Recipes;
using Ci.Server.Recipes.Environments;
using Ci.Server.Uploads;

namespace Ci.Server.Runner;

/// <summary>
/// Runs queued jobs, oldest first, at most <see cref="RunnerOptions.Concurrency"/> at a time. The store is the queue:
/// a free slot claims the next queued job under a lease that the heartbeat renews; <see cref="RunningJobs.JobQueued"/>
/// wakes an idle runner, and the first claim at start-up picks up jobs left queued. The heartbeat also recovers jobs
/// of runners that died (their lease expired), here or on other hosts.
/// </summary>
public sealed partial class JobRunner(
    IRunnerChannel channel, RunningJobs running, RunnerOptions options, ILogger<JobRunner> logger)
    : BackgroundService
{
    // A missed wake-up (another process queued a job while our notification connection was down) costs at most this.
    private static readonly TimeSpan s_pollInterval = TimeSpan.FromSeconds(5);
    private readonly SemaphoreSlim _slots = new(options.Concurrency, options.Concurrency);
    // Cancelled only when the host stops waiting for us: store writes of running jobs stop too.
    private readonly CancellationTokenSource _abandon = new();
    private int _unfinishedJobs;
    // The heartbeat outlives the claim loop: jobs still finishing during shutdown keep their leases.
    private readonly CancellationTokenSource _heartbeatStop = new();
    private Task _heartbeat = Task.CompletedTask;
    private static readonly JobUser? s_jobUser = JobUser.ForThisServer(out s_jobUserProblem);
    private static readonly string? s_jobUserProblem;
    private readonly Sandbox _sandbox = options.Sandbox switch
    {
        SandboxMode.Bwrap => new BwrapSandbox(BwrapSandbox.FindBwrap() ?? throw new InvalidOperationException("bwrap is not on PATH."), s_jobUser),
        _ => new NoSandbox(s_jobUser),
    };
    // An unsandboxed job of another user reaches its workspace through the work root itself.
    private bool WorkRootTraversable => s_jobUser is not null && options.Sandbox == SandboxMode.None;
    private readonly EnvironmentCache? _environments = options.EnvironmentCacheBytes > 0
        ? new EnvironmentCache(Path.Combine(options.WorkRoot, ".environments"), options.EnvironmentCacheBytes, options.Sandbox == SandboxMode.Bwrap, s_jobUser, logger)
        : null;
    private PythonInterpreter? _python;
    private string? _pythonError;

    /// <summary>This runner's name on its leases: host, process and a random part (process ids repeat).</summary>
    public string RunnerId { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Completes when the runner is done with the job; null when it is not running here.</summary>
    internal Task? WhenDone(Guid jobId) => running.TryGet(jobId, out var job) ? job.Done.Task : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (options.Sandbox == SandboxMode.None) LogNoSandbox(logger);
            if (options.Network == JobNetworkMode.Host)
            {
                JobNetwork.Supports(JobNetworkMode.Outbound, out var networkProblem);
                LogHostNetwork(logger, networkProblem ?? "--job-network host");
            }
            (_python, _pythonError) = await PythonInterpreter.ResolveAsync(options.Python, stoppingToken);
            if (_python is null) LogPythonBroken(logger, _pythonError!);
            else LogStarted(logger, RunnerId, options.Concurrency, options.Sandbox, options.Network, _python.Executable, options.WorkRoot, options.Lease.TotalSeconds);

            JobWorkspace.PrepareWorkRoot(options.WorkRoot, WorkRootTraversable);
            var leftovers = JobWorkspace.DeleteLeftovers(options.WorkRoot);
            if (options.Network != JobNetworkMode.Host) JobNetwork.DeleteLeftovers(leftovers);
            _environments?.Open();
            LogJobUser();
            _heartbeat = Task.Run(() => HeartbeatLoopAsync(_heartbeatStop.Token), CancellationToken.None);
            await ClaimLoopAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task ClaimLoopAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            await _slots.WaitAsync(stoppingToken);
            Guid? job;
            try
            {
                job = await channel.ClaimAsync(RunnerId, options.Lease, stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                _slots.Release();
                LogClaimFailed(logger, exception);
                // A broken store must not spin; the next JobQueued or this pause retries.
                await running.WaitForWorkAsync(s_pollInterval, stoppingToken);
                continue;
            }
            if (job is not { } jobId)
            {
                _slots.Release();
                await running.WaitForWorkAsync(s_pollInterval, stoppingToken);
                continue;
            }
            Start(jobId);
        }
    }

    /// <summary>
    /// Renews the leases of the jobs running here (a third of the lease apart), stops the ones this runner no longer
    /// holds, stops them all when the store has been unreachable for most of a lease (another runner will take them
    /// after it expires: never two at once), and recovers jobs whose runner died.
    /// </summary>
    private async Task HeartbeatLoopAsync(CancellationToken cancellationToken)
    {
        var period = TimeSpan.FromTicks(Math.Max(options.Lease.Ticks / 3, TimeSpan.FromMilliseconds(100).Ticks));
        var lastRenewed = TimeProvider.System.GetTimestamp();
        using var timer = new PeriodicTimer(period);
        try
        {
            do
            {
                try
                {
                    var ids = running.Ids.ToArray();
                    var started = TimeProvider.System.GetTimestamp();
                    if (ids.Length > 0)
                    {
                        var held = (await channel.RenewAsync(RunnerId, ids, options.Lease, cancellationToken)).ToHashSet();
                        foreach (var id in ids.Where(id => !held.Contains(id)))
                        {
                            if (running.TryGet(id, out var job) && job.Stop(StopReason.LeaseLost)) LogLeaseLost(logger, id);
                        }
                    }
                    lastRenewed = started;
                    await channel.RecoverExpiredAsync(cancellationToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    LogHeartbeatFailed(logger, exception);
                    if (TimeProvider.System.GetElapsedTime(lastRenewed) > options.Lease * 0.75)
                    {
                        foreach (var job in running.Snapshot())
                        {
                            if (job.Stop(StopReason.LeaseLost)) LogLeaseLost(logger, job.Id);
                        }
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private void Start(Guid jobId)
    {
        var handle = new RunningJob(jobId, options.JobTimeout);
        running.Add(handle);
        Interlocked.Increment(ref _unfinishedJobs);
        _ = Task.Run(async () =>
        {
            try
            {
                await RunJobAsync(jobId, handle);
            }
            catch (Exception exception)
            {
                // Only reached when the host gave up waiting at shutdown; the lease expires and the job is recovered.
                LogJobCrashed(logger, exception, jobId);
            }
            finally
            {
                running.Remove(jobId);
                handle.Dispose();
                _slots.Release();
                handle.Done.TrySetResult();
                // Last: from here on this job touches nothing of the runner's, so Dispose may release it all.
                Interlocked.Decrement(ref _unfinishedJobs);
            }
        });
    }

    private async Task RunJobAsync(Guid jobId, RunningJob handle)
    {
        var cancellationToken = _abandon.Token;
        var log = new JobLog(channel, jobId, options.MaxLogBytes);
        JobWorkspace? workspace = null;
        JobOutcome outcome;
        LogJobClaimed(logger, jobId, RunnerId);
        try
        {
            // A cancel that reached the store between our claim and our registration found nothing to stop here.
            if (await channel.IsCancelledAsync(jobId, cancellationToken)) handle.Stop(StopReason.Cancelled);
            workspace = JobWorkspace.Create(options.WorkRoot, jobId, WorkRootTraversable);
            outcome = await PrepareAndRunAsync(jobId, workspace, log, handle, cancellationToken);
        }
        catch (Exception exception) when (!_abandon.IsCancellationRequested)
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
            if (workspace is not null && !workspace.TryDelete()) LogWorkspaceLeft(logger, workspace.Root);
            await EndAsync(jobId, log, outcome, cancellationToken);
        }
        catch (Exception exception) when (!_abandon.IsCancellationRequested)
        {
            // The store is failing: the job's lease expires and the job is recovered (or the next start-up ends it).
            LogJobCrashed(logger, exception, jobId);
        }
    }

    /// <summary>Stops the job's log and tells the lifecycle how the run ended (it decides what the job becomes).</summary>
    private async Task EndAsync(Guid jobId, JobLog log, JobOutcome outcome, CancellationToken cancellationToken)
    {
        // Someone else's now (lease lost, cancelled, handed back): what the job left unsaved is dropped. Else it is all
        // stored before the job's last line.
        if (outcome.Kind is not (JobOutcomeKind.LeaseLost or JobOutcomeKind.Cancelled or JobOutcomeKind.HandedBack))
            await log.FlushAsync(cancellationToken);
        log.Close();
        var status = await channel.EndAsync(jobId, RunnerId, outcome, cancellationToken);
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

    private async Task<JobOutcome> PrepareAndRunAsync(Guid jobId, JobWorkspace workspace, JobLog log, RunningJob running, CancellationToken cancellationToken)
    {
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
        if (s_jobUser is not null) workspace.HandTo(s_jobUser);
        using var network = options.Network == JobNetworkMode.Host ? null : JobNetwork.Create(jobId, options.Network, workspace.NetworkPidFile);
        var steps = new JobSteps(_sandbox, $"{PythonRecipe.MarkerVariable}={jobId:D}", log, running);
        return await new PythonRecipe(_python, options.JobTimeout, network?.EnterCommand, _environments)
            .RunAsync(jobId, workspace, steps, cancellationToken);
    }

    private void LogJobUser()
    {
        if (s_jobUser is { } user)
        {
            LogJobsUnprivileged(logger, user.Uid);
            if (WorkRootTraversable && FirstUntraversableFolder(options.WorkRoot) is { } closed) LogWorkRootUnreachable(logger, options.WorkRoot, closed);
        }
        else if (s_jobUserProblem is { } problem)
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

    /// <summary>
    /// Stops claiming, lets running jobs finish within the grace period, then kills them and records them as failed
    /// (queued jobs stay queued and run after the next start).
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            var jobs = running.Snapshot();
            if (jobs.Length == 0) return;
            var allDone = Task.WhenAll(jobs.Select(job => job.Done.Task));
            try
            {
                await allDone.WaitAsync(options.GracePeriod, cancellationToken);
                return;
            }
            catch (TimeoutException)
            {
            }
            catch (OperationCanceledException)
            {
            }
            LogStoppingJobs(logger, jobs.Length, options.HandBackOnShutdown ? "handing them back to the queue" : "failing them");
            foreach (var job in jobs) job.Stop(StopReason.ShuttingDown);
            try
            {
                await allDone.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                await _abandon.CancelAsync();
            }
        }
        finally
        {
            await _heartbeatStop.CancelAsync();
            await _heartbeat;
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _heartbeatStop.Dispose();
        // A job the host gave up waiting for at shutdown may still be unwinding: it reads the abandon token and frees
        // its slot. Both are then left to the collector (neither holds an OS handle unless one is asked for, and none
        // is) rather than disposed under its feet.
        if (Volatile.Read(ref _unfinishedJobs) > 0) return;
        _abandon.Dispose();
        _slots.Dispose();
    }

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

    [LoggerMessage(LogLevel.Warning, "Job {JobId}: this runner no longer holds its lease; stopping it here.")]
    private static partial void LogLeaseLost(ILogger logger, Guid jobId);

    [LoggerMessage(LogLevel.Warning, "Job {JobId} stopped without an end: its lease was lost.")]
    private static partial void LogJobAbandoned(ILogger logger, Guid jobId);

    [LoggerMessage(LogLevel.Information, "Job {JobId} handed back to the queue.")]
    private static partial void LogHandedBack(ILogger logger, Guid jobId);

    [LoggerMessage(LogLevel.Error, "Could not renew this runner's leases.")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogLevel.Error, "Could not claim the next queued job.")]
    private static partial void LogClaimFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogLevel.Error, "Job {JobId} crashed the runner.")]
    private static partial void LogJobCrashed(ILogger logger, Exception exception, Guid jobId);

    [LoggerMessage(LogLevel.Warning, "Could not delete the job folder {Folder}.")]
    private static partial void LogWorkspaceLeft(ILogger logger, string folder);

    [LoggerMessage(LogLevel.Information, "Job {JobId} ended: {Status}, success {Success}.")]
    private static partial void LogJobEnded(ILogger logger, Guid jobId, JobStatus status, bool success);

    [LoggerMessage(LogLevel.Warning, "Shutting down: stopping {Count} running job(s) after the grace period, {Outcome}.")]
    private static partial void LogStoppingJobs(ILogger logger, int count, string outcome);
}
