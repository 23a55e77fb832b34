using System.Collections.Concurrent;
using System.Threading.Channels;
using Ci.Core.Protocol;
using Ci.Server.Environments;
using Ci.Server.Jobs;
using Ci.Server.Uploads;
using Ci.Store;

namespace Ci.Server.Runner;

/// <summary>
/// Runs queued jobs, oldest first, at most <see cref="RunnerOptions.Concurrency"/> at a time. The store is the queue:
/// a free slot claims the next queued job; <see cref="JobQueued"/> wakes an idle runner (no polling), and the first
/// claim at start-up picks up jobs a previous server process left queued.
/// </summary>
public sealed partial class JobRunner(IJobStore store, ITestReportStore reports, IJobLogSink sink, RunnerOptions options, ILogger<JobRunner> logger)
    : BackgroundService, IJobDispatcher
{
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly SemaphoreSlim _slots = new(options.Concurrency, options.Concurrency);
    private readonly ConcurrentDictionary<Guid, RunningJob> _running = new();
    // Cancelled only when the host stops waiting for us: store writes of running jobs stop too.
    private readonly CancellationTokenSource _abandon = new();
    private static readonly JobUser? s_jobUser = JobUser.ForThisServer(out s_jobUserProblem);
    private static readonly string? s_jobUserProblem;
    private readonly Sandbox _sandbox = Sandbox.Create(options.Sandbox, s_jobUser);
    // An unsandboxed job of another user reaches its workspace through the work root itself.
    private bool WorkRootTraversable => s_jobUser is not null && options.Sandbox == SandboxMode.None;
    private readonly EnvironmentCache? _environments = options.EnvironmentCacheBytes > 0
        ? new EnvironmentCache(Path.Combine(options.WorkRoot, ".environments"), options.EnvironmentCacheBytes, options.Sandbox == SandboxMode.Bwrap, s_jobUser, logger)
        : null;
    private PythonInterpreter? _python;
    private string? _pythonError;

    /// <inheritdoc />
    public void JobQueued(Guid jobId) => _wake.Writer.TryWrite(true);

    /// <inheritdoc />
    public bool Cancel(Guid jobId) => _running.TryGetValue(jobId, out var job) && job.Stop(StopReason.Cancelled);

    /// <summary>Completes when the runner is done with the job; null when it is not running here.</summary>
    internal Task? WhenDone(Guid jobId) => _running.TryGetValue(jobId, out var job) ? job.Done.Task : null;

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
            else LogStarted(logger, options.Concurrency, options.Sandbox, _python.Executable, options.WorkRoot);

            JobWorkspace.PrepareWorkRoot(options.WorkRoot, WorkRootTraversable);
            JobWorkspace.DeleteLeftovers(options.WorkRoot);
            if (options.Network != JobNetworkMode.Host) JobNetwork.DeleteLeftovers();
            _environments?.Open();
            LogJobUser();
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
            JobRecord? job;
            try
            {
                job = await store.ClaimNextQueuedJobAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                _slots.Release();
                LogClaimFailed(logger, exception);
                // A broken store must not spin; the next JobQueued or this pause retries.
                await Task.WhenAny(_wake.Reader.WaitToReadAsync(stoppingToken).AsTask(), Task.Delay(TimeSpan.FromSeconds(5), stoppingToken));
                continue;
            }
            if (job is null)
            {
                _slots.Release();
                await _wake.Reader.ReadAsync(stoppingToken);
                continue;
            }
            Start(job);
        }
    }

    private void Start(JobRecord job)
    {
        var running = new RunningJob(job.Id, options.JobTimeout);
        _running[job.Id] = running;
        _ = Task.Run(async () =>
        {
            try
            {
                await RunJobAsync(job, running);
            }
            catch (Exception exception)
            {
                // Only reached when the host gave up waiting at shutdown; the next start-up ends the job.
                LogJobCrashed(logger, exception, job.Id);
            }
            finally
            {
                _running.TryRemove(job.Id, out _);
                running.Dispose();
                _slots.Release();
                running.Done.TrySetResult();
            }
        });
    }

    private async Task RunJobAsync(JobRecord job, RunningJob running)
    {
        var cancellationToken = _abandon.Token;
        var log = new JobLog(store, sink, job.Id, options.MaxLogBytes);
        JobWorkspace? workspace = null;
        JobOutcome outcome;
        try
        {
            // A cancel that reached the store between our claim and our registration found nothing to stop here.
            if ((await store.GetJobAsync(job.Id, cancellationToken))?.Status == JobStatus.Cancelled) running.Stop(StopReason.Cancelled);
            workspace = JobWorkspace.Create(options.WorkRoot, job.Id, WorkRootTraversable);
            outcome = await PrepareAndRunAsync(job.Id, workspace, log, running, cancellationToken);
        }
        catch (Exception exception) when (!_abandon.IsCancellationRequested)
        {
            LogJobCrashed(logger, exception, job.Id);
            outcome = JobOutcome.Failed($"Runner error: {exception.Message}");
        }

        outcome = running.Reason switch
        {
            StopReason.TimedOut => JobOutcome.Failed($"Job timed out after {running.Timeout.TotalSeconds:0.###} seconds."),
            StopReason.ShuttingDown => JobOutcome.Failed("Server shutting down: job stopped."),
            StopReason.Cancelled => new JobOutcome(JobStatus.Cancelled, false, "Cancelled."),
            _ => outcome,
        };
        try
        {
            if (running.Reason == StopReason.Cancelled) log.Close();
            else if (outcome.Reason is { } reason) await log.WriteStatusAsync(reason + "\n", cancellationToken);

            if (workspace is not null && !workspace.TryDelete()) LogWorkspaceLeft(logger, workspace.Root);
            await store.DeleteUploadAsync(job.Id, cancellationToken);

            // Before the job ends: a client that sees it end may ask for its report at once.
            if (outcome.Report is { } report) await reports.SaveTestReportAsync(job.Id, report, cancellationToken);

            // Null: the job ended meanwhile (cancelled through the API, which told the watchers itself).
            var ended = await store.FinishJobAsync(job.Id, outcome.Status, outcome.Success, outcome.Reason, cancellationToken);
            if (ended is not null) sink.Finish(ended);
            LogJobEnded(logger, job.Id, ended?.Status ?? JobStatus.Cancelled, outcome.Success);
        }
        catch (Exception exception) when (!_abandon.IsCancellationRequested)
        {
            // The store is failing: the job stays running until the next start-up ends it as interrupted.
            LogJobCrashed(logger, exception, job.Id);
        }
    }

    private async Task<JobOutcome> PrepareAndRunAsync(Guid jobId, JobWorkspace workspace, JobLog log, RunningJob running, CancellationToken cancellationToken)
    {
        if (running.StopToken.IsCancellationRequested) return JobOutcome.Failed("stopped");
        await using (var upload = await store.OpenUploadAsync(jobId, cancellationToken))
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
        return await new PythonRecipe(_python, _sandbox, options.JobTimeout, network?.EnterCommand, _environments)
            .RunAsync(jobId, workspace, log, running, cancellationToken);
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
        var jobs = _running.Values.ToArray();
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
        LogStoppingJobs(logger, jobs.Length);
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

    public override void Dispose()
    {
        base.Dispose();
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

    [LoggerMessage(LogLevel.Information, "Job runner started: {Concurrency} at a time, sandbox {Sandbox}, Python {Python}, work folder {WorkRoot}.")]
    private static partial void LogStarted(ILogger logger, int concurrency, SandboxMode sandbox, string python, string workRoot);

    [LoggerMessage(LogLevel.Error, "Could not claim the next queued job.")]
    private static partial void LogClaimFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogLevel.Error, "Job {JobId} crashed the runner.")]
    private static partial void LogJobCrashed(ILogger logger, Exception exception, Guid jobId);

    [LoggerMessage(LogLevel.Warning, "Could not delete the job folder {Folder}.")]
    private static partial void LogWorkspaceLeft(ILogger logger, string folder);

    [LoggerMessage(LogLevel.Information, "Job {JobId} ended: {Status}, success {Success}.")]
    private static partial void LogJobEnded(ILogger logger, Guid jobId, JobStatus status, bool success);

    [LoggerMessage(LogLevel.Warning, "Shutting down: stopping {Count} running job(s) after the grace period.")]
    private static partial void LogStoppingJobs(ILogger logger, int count);
}
