using Ci.Server.Jobs;
using Ci.Server.Recipes;
using Ci.Store;

namespace Ci.Server.Runner;

// A part of another runner's job (a shard): set up like a job of its own (site, cgroup, uid, sandbox, environment,
// services), it runs only its tests, writes [k/N] lines into the job's log and stores its exit code and report for
// the job's runner, which merges them.
internal sealed partial class JobExecutor
{
    /// <summary>Takes a claimed part from the job's upload to its stored end.</summary>
    /// <param name="cancellationToken">Cancelled only when the host stops waiting for the runner.</param>
    public Task RunPartAsync(JobPart part, RunningJob handle, string runnerId, CancellationToken cancellationToken)
    {
        LogPartClaimed(_logger, part.Number, part.Count, part.JobId, runnerId);
        var log = new JobLog(_channel, part.JobId, _options.MaxLogBytes);
        return RunConfinedAsync(part.Id, part.JobId, part, handle, runnerId, log,
            outcome => EndPartAsync(part, runnerId, log, handle, outcome, cancellationToken), cancellationToken);
    }

    /// <summary>Stores the part's end; a part stopped at shutdown goes back to the queue, one stopped otherwise is someone else's.</summary>
    private async Task EndPartAsync(JobPart part, string runnerId, JobLog log, RunningJob handle, JobOutcome outcome, CancellationToken cancellationToken)
    {
        switch (handle.Reason)
        {
            case StopReason.ShuttingDown:
                log.Close();
                await _channel.ReleasePartAsync(part.Id, runnerId, cancellationToken);
                LogPartReleased(_logger, part.Number, part.Count, part.JobId);
                return;
            case StopReason.TimedOut:
                await log.WriteStatusAsync($"[{part.Number}/{part.Count}] [ci] Shard timed out after {handle.Timeout.TotalSeconds:0} seconds.\n", cancellationToken);
                break;
            case StopReason.Cancelled or StopReason.LeaseLost:
                // The job ended or went to another run: nothing of this part is wanted any more.
                log.Close();
                LogPartDropped(_logger, part.Number, part.Count, part.JobId);
                return;
        }
        await log.FlushAsync(cancellationToken);
        log.Close();
        var stopped = handle.Reason == StopReason.TimedOut;
        var ended = await _channel.EndPartAsync(part.Id, runnerId, outcome.Success && !stopped ? 0 : 1, stopped ? null : outcome.Report,
            stopped ? "timed out" : outcome.Kind == JobOutcomeKind.Failed ? outcome.Reason : null, cancellationToken);
        LogPartEnded(_logger, part.Number, part.Count, part.JobId, outcome.Success && !stopped, ended);
    }

    [LoggerMessage(LogLevel.Information, "Shard {Number}/{Count} of job {JobId} claimed by runner {RunnerId}.")]
    private static partial void LogPartClaimed(ILogger logger, int number, int count, Guid jobId, string runnerId);

    [LoggerMessage(LogLevel.Information, "Shard {Number}/{Count} of job {JobId} ended: success {Success}, stored {Stored}.")]
    private static partial void LogPartEnded(ILogger logger, int number, int count, Guid jobId, bool success, bool stored);

    [LoggerMessage(LogLevel.Information, "Shard {Number}/{Count} of job {JobId} handed back to the queue.")]
    private static partial void LogPartReleased(ILogger logger, int number, int count, Guid jobId);

    [LoggerMessage(LogLevel.Information, "Shard {Number}/{Count} of job {JobId} stopped: its job ended or runs elsewhere.")]
    private static partial void LogPartDropped(ILogger logger, int number, int count, Guid jobId);
}
