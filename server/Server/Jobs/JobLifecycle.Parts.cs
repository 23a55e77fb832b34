using System.Globalization;
using System.Text.Json;
using Ci.Core.Protocol;
using Ci.Store;

namespace Ci.Server.Jobs;

// The parts of a sharded job (IJobParts): its runner makes them, any runner takes one, and its runner waits for all.
public sealed partial class JobLifecycle
{
    /// <summary>Runs a part may get: a part whose runner died runs again, up to this many times in all.</summary>
    public const int MaxPartAttempts = 3;

    /// <summary>Stores the job's parts (replacing an earlier run's) and wakes runners here and elsewhere; false when the job no longer runs.</summary>
    public async Task<bool> CreatePartsAsync(Guid jobId, IReadOnlyList<JobPartSpec> parts, CancellationToken cancellationToken)
    {
        if (!await store.CreateJobPartsAsync(jobId, parts, cancellationToken)) return false;
        dispatcher.JobQueued(jobId);
        return true;
    }

    /// <summary>The next queued part of a running job (of <paramref name="jobId"/> only, when given), now held by <paramref name="runnerId"/>.</summary>
    public Task<JobPart?> ClaimPartAsync(string runnerId, TimeSpan lease, Guid? jobId, CancellationToken cancellationToken) =>
        store.ClaimNextJobPartAsync(runnerId, lease, jobId, cancellationToken);

    /// <summary>The heartbeat for parts: extends their leases; returns the parts the runner still holds.</summary>
    public Task<IReadOnlyList<Guid>> RenewPartsAsync(string runnerId, IReadOnlyCollection<Guid> partIds, TimeSpan lease, CancellationToken cancellationToken) =>
        store.RenewJobPartLeasesAsync(runnerId, partIds, lease, cancellationToken);

    /// <summary>Ends a held part with its exit code and report; false when the runner no longer holds it.</summary>
    public Task<bool> EndPartAsync(Guid partId, string runnerId, int exitCode, TestReport? report, string? reason, CancellationToken cancellationToken) =>
        store.FinishJobPartAsync(partId, runnerId,
            new JobPartResult(exitCode, report is null ? null : JsonSerializer.Serialize(report, CiJsonContext.Default.TestReport), reason),
            cancellationToken);

    /// <summary>Hands a held part back to the queue (the runner is stopping); another runner takes it.</summary>
    public async Task ReleasePartAsync(Guid partId, string runnerId, CancellationToken cancellationToken)
    {
        if (await store.ReleaseJobPartAsync(partId, runnerId, cancellationToken)) dispatcher.JobQueued(partId);
    }

    /// <summary>Where the parts of the job's current run stand, by number.</summary>
    public Task<IReadOnlyList<JobPartState>> GetPartsAsync(Guid jobId, CancellationToken cancellationToken) =>
        store.GetJobPartsAsync(jobId, cancellationToken);

    /// <summary>Reads a part's stored report; null when it has none or it does not read.</summary>
    public static TestReport? ReportOf(JobPartResult result)
    {
        if (result.ReportJson is not { } json) return null;
        try
        {
            return JsonSerializer.Deserialize(json, CiJsonContext.Default.TestReport);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Parts whose runner stopped renewing: queued again (the job's log says so) or, past their attempts, lost.</summary>
    public async Task RecoverExpiredPartsAsync(CancellationToken cancellationToken)
    {
        var recovered = await store.RecoverExpiredJobPartsAsync(MaxPartAttempts, cancellationToken);
        foreach (var part in recovered)
        {
            var requeued = part.Status == JobPartStatuses.Queued;
            LogPartRecovered(logger, part.JobId, part.Number, part.Count, requeued);
            var shard = string.Create(CultureInfo.InvariantCulture, $"[{part.Number}/{part.Count}] [ci] The runner of shard {part.Number}");
            await AppendAsync(part.JobId, requeued
                ? $"{shard} stopped responding (lease expired): the shard runs again.\n"
                : string.Create(CultureInfo.InvariantCulture, $"{shard} stopped responding {part.Attempts} times: the shard is lost.\n"), cancellationToken);
            if (requeued) dispatcher.JobQueued(part.JobId);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Job {JobId}: the runner of shard {Number}/{Count} stopped renewing its lease; queued again: {Requeued}.")]
    private static partial void LogPartRecovered(ILogger logger, Guid jobId, int number, int count, bool requeued);
}
