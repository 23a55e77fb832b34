using Ci.Server.Isolation;
using Ci.Server.Jobs;
using Ci.Store;

namespace Ci.Server.Runner;

/// <summary>
/// Runs queued jobs, oldest first, at most <see cref="RunnerOptions.Concurrency"/> at a time. The store is the queue:
/// a free slot claims the next queued job under a lease that the heartbeat renews; <see cref="RunningJobs.JobQueued"/>
/// wakes an idle runner, and the first claim at start-up picks up jobs left queued. The heartbeat also recovers jobs
/// of runners that died (their lease expired), here or on other hosts. The runner reaches the rest of the server only
/// through <see cref="IRunnerChannel"/>; <see cref="JobExecutor"/> takes each claimed job to its end.
/// </summary>
public sealed partial class JobRunner(
    IRunnerChannel channel, RunningJobs running, RunnerOptions options, HostCapabilities host, ILogger<JobRunner> logger)
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
    private readonly JobExecutor _executor = new(channel, options, host, logger);

    /// <summary>This runner's name on its leases: host, process and a random part (process ids repeat).</summary>
    public string RunnerId { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Completes when the runner is done with the job; null when it is not running here.</summary>
    internal Task? WhenDone(Guid jobId) => running.TryGet(jobId, out var job) ? job.Done.Task : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await _executor.StartAsync(RunnerId, stoppingToken);
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
            JobPart? part;
            Guid? job;
            try
            {
                // Parts first: they belong to jobs already running, whose runners wait for them.
                part = await channel.ClaimPartAsync(RunnerId, options.Lease, null, stoppingToken);
                job = part is null ? await channel.ClaimAsync(RunnerId, options.Lease, stoppingToken) : null;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                _slots.Release();
                LogClaimFailed(logger, exception);
                // A broken store must not spin; the next JobQueued or this pause retries.
                await running.WaitForWorkAsync(s_pollInterval, stoppingToken);
                continue;
            }
            if (part is not null)
            {
                Start(new RunningJob(part.Id, options.JobTimeout, part));
                continue;
            }
            if (job is not { } jobId)
            {
                _slots.Release();
                await running.WaitForWorkAsync(s_pollInterval, stoppingToken);
                continue;
            }
            Start(new RunningJob(jobId, options.JobTimeout));
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
                    var (ids, partIds) = (running.JobIds, running.PartIds);
                    var started = TimeProvider.System.GetTimestamp();
                    if (ids.Length > 0) StopUnheld(ids, await channel.RenewAsync(RunnerId, ids, options.Lease, cancellationToken));
                    if (partIds.Length > 0) StopUnheld(partIds, await channel.RenewPartsAsync(RunnerId, partIds, options.Lease, cancellationToken));
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

    /// <summary>Stops the jobs and parts of <paramref name="ids"/> that this runner no longer holds.</summary>
    private void StopUnheld(Guid[] ids, IReadOnlyList<Guid> held)
    {
        foreach (var id in ids.Except(held))
        {
            if (running.TryGet(id, out var job) && job.Stop(StopReason.LeaseLost)) LogLeaseLost(logger, job.JobId);
        }
    }

    private void Start(RunningJob handle)
    {
        var jobId = handle.Id;
        running.Add(handle);
        Interlocked.Increment(ref _unfinishedJobs);
        _ = Task.Run(async () =>
        {
            try
            {
                if (handle.Part is { } part) await _executor.RunPartAsync(part, handle, RunnerId, _abandon.Token);
                else await _executor.RunAsync(jobId, handle, RunnerId, _abandon.Token);
            }
            catch (Exception exception)
            {
                // Only reached when the host gave up waiting at shutdown; the lease expires and the job is recovered.
                JobExecutor.LogJobCrashed(logger, exception, jobId);
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
        // _heartbeatStop is not disposed: the host may call StopAsync after Dispose (WebApplicationFactory does when
        // a test disposes it), and StopAsync cancels it. It holds no OS handle, so the collector is enough.
        // A job the host gave up waiting for at shutdown may still be unwinding: it reads the abandon token and frees
        // its slot. Both are then left to the collector (neither holds an OS handle unless one is asked for, and none
        // is) rather than disposed under its feet.
        if (Volatile.Read(ref _unfinishedJobs) > 0) return;
        _executor.Close();
        _abandon.Dispose();
        _slots.Dispose();
    }

    [LoggerMessage(LogLevel.Warning, "Job {JobId}: this runner no longer holds its lease; stopping it here.")]
    private static partial void LogLeaseLost(ILogger logger, Guid jobId);

    [LoggerMessage(LogLevel.Error, "Could not renew this runner's leases.")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogLevel.Error, "Could not claim the next queued job.")]
    private static partial void LogClaimFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogLevel.Warning, "Shutting down: stopping {Count} running job(s) after the grace period, {Outcome}.")]
    private static partial void LogStoppingJobs(ILogger logger, int count, string outcome);
}
