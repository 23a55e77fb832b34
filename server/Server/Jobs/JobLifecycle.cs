using Ci.Core.Protocol;
using Ci.Store;

namespace Ci.Server.Jobs;

/// <summary>
/// Every change of a job's state, in one place: queue, claim, append, finish, cancel, time out, hand back and
/// recover. The API and the runner both call this; it writes the store first and then wakes whoever must know in
/// this process (watchers through <see cref="IJobLogSink"/>, the runner through <see cref="IJobDispatcher"/>). Other
/// processes on a shared store hear the same through the store's notifications (Streaming's StoreNotificationRelay).
/// </summary>
/// <param name="trees">How long ended jobs keep their tree for reruns; null: deleted when the job ends.</param>
public sealed partial class JobLifecycle(
    ICiStore store, IJobLogSink sink, IJobDispatcher dispatcher, ILogger<JobLifecycle> logger, FairShare? fairShare = null,
    Ci.Server.Reruns.TreeRetention? trees = null)
{
    private readonly int _maxRunningPerUser = (fairShare ?? FairShare.Default).MaxRunningPerUser;

    /// <summary>Runs a job may get: a job whose runner died is re-queued once, and failed the second time.</summary>
    public const int MaxAttempts = 2;

    /// <summary>The log line a cancelled job's watchers see before its <c>complete</c>.</summary>
    public const string CancelledLogLine = "Job cancelled.\n";

    public const string RequeuedLine = "[ci] The runner of this job stopped responding (lease expired): job re-queued to run again.\n";

    public const string LeaseExpiredTwiceReason = "Job failed: its runner stopped responding twice (lease expired); not retried again.";

    public const string HandedBackLine = "[ci] Runner shutting down: job handed back to the queue.\n";

    public const string ShutdownReason = "Server shutting down: job stopped.";

    /// <summary>The job's end when it ran too long.</summary>
    public static string TimedOutReason(TimeSpan timeout) => $"Job timed out after {timeout.TotalSeconds:0.###} seconds.";

    /// <summary>Stores a checked upload as a queued job and wakes a runner.</summary>
    public async Task<JobRecord> QueueAsync(Guid jobId, Guid userId, string uploadPath, CancellationToken cancellationToken)
    {
        var job = await store.CreateJobAsync(jobId, userId, uploadPath, cancellationToken);
        dispatcher.JobQueued(jobId);
        return job;
    }

    /// <summary>
    /// Queues like <see cref="QueueAsync"/> unless this user already submitted with <paramref name="idempotencyKey"/>
    /// (<see cref="ISubmissionKeyStore"/>): then nothing is queued and the earlier job comes back with <c>Created</c>
    /// false. A store without submission keys queues every time (the key is ignored).
    /// </summary>
    public async Task<(JobRecord Job, bool Created)> QueueOnceAsync(Guid jobId, Guid userId, string idempotencyKey, string uploadPath,
        CancellationToken cancellationToken)
    {
        if (store is not ISubmissionKeyStore keys)
            return (await QueueAsync(jobId, userId, uploadPath, cancellationToken), true);
        var (job, created) = await keys.CreateJobOnceAsync(jobId, userId, idempotencyKey, uploadPath, cancellationToken);
        if (created) dispatcher.JobQueued(jobId);
        return (job, created);
    }

    /// <summary>The next queued job (users take turns, see <see cref="FairShare"/>), now running and held by <paramref name="runnerId"/>; null when none.</summary>
    public Task<JobRecord?> ClaimAsync(string runnerId, TimeSpan lease, CancellationToken cancellationToken) =>
        store.ClaimNextQueuedJobAsync(runnerId, lease, _maxRunningPerUser, cancellationToken);

    /// <summary>The heartbeat: extends the runner's leases; returns the jobs it still holds.</summary>
    public Task<IReadOnlyList<Guid>> RenewAsync(string runnerId, IReadOnlyCollection<Guid> jobIds, TimeSpan lease, CancellationToken cancellationToken) =>
        store.RenewLeasesAsync(runnerId, jobIds, lease, cancellationToken);

    /// <summary>Appends to the job's log, then wakes its live watchers.</summary>
    public async Task<LogChunk> AppendAsync(Guid jobId, string text, CancellationToken cancellationToken)
    {
        var chunk = await store.AppendLogAsync(jobId, text, cancellationToken);
        sink.Publish(jobId, chunk);
        return chunk;
    }

    /// <summary>Appends several chunks at once (one store transaction, consecutive sequences), then wakes the watchers.</summary>
    public async Task AppendAsync(Guid jobId, IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        var chunks = await store.AppendLogAsync(jobId, texts, cancellationToken);
        foreach (var chunk in chunks) sink.Publish(jobId, chunk);
    }

    /// <summary>Whether the job was cancelled (a cancel may reach the store between a runner's claim and its start).</summary>
    public async Task<bool> IsCancelledAsync(Guid jobId, CancellationToken cancellationToken) =>
        (await store.GetJobAsync(jobId, cancellationToken))?.Status == JobStatus.Cancelled;

    /// <summary>The job's uploaded project; null when it is missing.</summary>
    public Task<Stream?> OpenUploadAsync(Guid jobId, CancellationToken cancellationToken) => store.OpenUploadAsync(jobId, cancellationToken);

    /// <summary>
    /// The runner's end of a job it ran: what the job becomes and which last log line it gets. A job whose lease was
    /// lost belongs to someone else (not a word more, its upload stays); a handed-back one goes back to the queue; any
    /// other ends with its report saved first (a client that sees the job end may ask for it at once), and its upload
    /// deleted (unless ended jobs keep their tree for reruns: Reruns/TreeRetention). Returns the job's status now, or
    /// null when nothing changed (lease lost, or not handed back).
    /// </summary>
    public async Task<JobStatus?> EndAsync(Guid jobId, string runnerId, JobOutcome outcome, CancellationToken cancellationToken)
    {
        switch (outcome.Kind)
        {
            case JobOutcomeKind.LeaseLost:
                return null;
            case JobOutcomeKind.HandedBack:
                return await HandBackAsync(jobId, runnerId, cancellationToken) ? JobStatus.Queued : null;
        }
        var (status, reason) = outcome.Kind switch
        {
            JobOutcomeKind.Passed or JobOutcomeKind.TestsFailed => (JobStatus.Completed, null),
            JobOutcomeKind.TimedOut => (JobStatus.Failed, TimedOutReason(outcome.Timeout)),
            JobOutcomeKind.StoppedAtShutdown => (JobStatus.Failed, ShutdownReason),
            JobOutcomeKind.Cancelled => (JobStatus.Cancelled, "Cancelled."),
            _ => (JobStatus.Failed, outcome.Reason),
        };
        // A cancelled job's log belongs to whoever cancelled it (who wrote its last line).
        if (outcome.Kind != JobOutcomeKind.Cancelled && reason is not null) await AppendAsync(jobId, reason + "\n", cancellationToken);
        if (outcome.Report is { } report && outcome.Kind is JobOutcomeKind.Passed or JobOutcomeKind.TestsFailed)
        {
            await store.SaveTestReportAsync(jobId, report, cancellationToken);
            await RecordDurationsAsync(jobId, report, cancellationToken);
        }
        // Null: the job ended meanwhile (cancelled through the API, which told the watchers itself).
        var ended = await store.FinishHeldJobAsync(jobId, runnerId, status, outcome.Success, reason, cancellationToken);
        try
        {
            if ((ended is not null || outcome.Kind == JobOutcomeKind.Cancelled) && DeletesTreeAtEnd) await store.DeleteUploadAsync(jobId, cancellationToken);
        }
        finally
        {
            // After the upload went: whoever sees the job end finds it gone.
            if (ended is not null) Ended(ended);
        }
        return ended?.Status ?? JobStatus.Cancelled;
    }

    /// <summary>
    /// Cancels a queued or running job: the store decides races with a runner finishing at the same moment (only one
    /// end wins). The runner holding it, here or (through the store's notification) on another host, kills its
    /// process tree. Null when the job had already ended.
    /// </summary>
    public async Task<JobRecord?> CancelAsync(JobRecord job, CancellationToken cancellationToken)
    {
        if (await store.CancelJobAsync(job.Id, "Cancelled by user", CancelledLogLine, cancellationToken) is not { } cancelled) return null;
        var ended = cancelled.Job;
        sink.Publish(job.Id, cancelled.Line);
        var stoppedHere = dispatcher.Cancel(job.Id);
        Ended(ended);
        LogCancelled(logger, job.Id, job.UserId, job.Status.ToWire(), stoppedHere);
        return ended;
    }

    /// <summary>Puts a job back in the queue because its runner is shutting down (not counted as an attempt).</summary>
    private async Task<bool> HandBackAsync(Guid jobId, string runnerId, CancellationToken cancellationToken)
    {
        if (!await store.ReleaseJobAsync(jobId, runnerId, HandedBackLine, cancellationToken)) return false;
        dispatcher.JobQueued(jobId);
        return true;
    }

    /// <summary>
    /// Jobs whose runner stopped renewing its lease (it died, or lost the store): re-queued once, failed the second
    /// time, each with a line in its log. Any process may run this; the store makes sure each job is recovered once.
    /// </summary>
    public async Task<IReadOnlyList<RecoveredJob>> RecoverExpiredAsync(CancellationToken cancellationToken)
    {
        var recovered = await store.RecoverExpiredLeasesAsync(MaxAttempts, RequeuedLine, LeaseExpiredTwiceReason, cancellationToken);
        foreach (var job in recovered)
        {
            if (job.Requeued)
            {
                LogRequeued(logger, job.Job.Id);
                dispatcher.JobQueued(job.Job.Id);
            }
            else
            {
                LogLeaseFailed(logger, job.Job.Id);
                Ended(job.Job);
            }
        }
        return recovered;
    }

    /// <summary>
    /// At start-up of a single-host store: jobs left running without a lease holder that can come back (a previous
    /// process of this server died) are failed.
    /// </summary>
    public Task<IReadOnlyList<Guid>> FailInterruptedAsync(string reason, CancellationToken cancellationToken) =>
        store.FailInterruptedJobsAsync(reason, cancellationToken);

    /// <summary>Tells this process's watchers and runner that the job ended (stored already).</summary>
    private void Ended(JobRecord job)
    {
        sink.Finish(job);
        dispatcher.JobEnded(job.Id);
    }

    [LoggerMessage(LogLevel.Information, "Job {JobId} cancelled by user {UserId} (was {Status}, process stopped here: {StoppedHere})")]
    private static partial void LogCancelled(ILogger logger, Guid jobId, Guid userId, string status, bool stoppedHere);

    [LoggerMessage(LogLevel.Warning, "Job {JobId}: its runner's lease expired; re-queued.")]
    private static partial void LogRequeued(ILogger logger, Guid jobId);

    [LoggerMessage(LogLevel.Warning, "Job {JobId}: its runner's lease expired a second time; failed.")]
    private static partial void LogLeaseFailed(ILogger logger, Guid jobId);
}
