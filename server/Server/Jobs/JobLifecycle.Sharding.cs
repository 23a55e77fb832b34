using Ci.Core.Protocol;
using Ci.Store;

namespace Ci.Server.Jobs;

// Sharding's part of the lifecycle: a submission's settings kept for its runner, and every test's duration recorded
// per project when the job's report is saved (the history that balances the next job's shards).
public sealed partial class JobLifecycle
{
    /// <summary>Keeps the submission's shards and project name; before the job is queued, so that its runner finds them.</summary>
    public Task SaveShardingAsync(Guid jobId, JobSharding sharding, CancellationToken cancellationToken) =>
        store.SaveJobShardingAsync(jobId, sharding, cancellationToken);

    /// <summary>
    /// What the runner needs to shard the job: the shards its submission asked for (null: the project's settings
    /// decide), its project (the submission's, else <paramref name="projectInTree"/>, then kept for the job's history)
    /// and that project's recorded durations.
    /// </summary>
    public async Task<ShardingInput> GetShardingAsync(Guid jobId, string projectInTree, CancellationToken cancellationToken)
    {
        var sharding = await store.GetJobShardingAsync(jobId, cancellationToken);
        if (sharding is null)
        {
            // An old client's submission: the tree names the project.
            sharding = new JobSharding(null, projectInTree);
            await store.SaveJobShardingAsync(jobId, sharding, cancellationToken);
        }
        var project = sharding.Project ?? projectInTree;
        var job = await store.GetJobAsync(jobId, cancellationToken);
        var durations = job is null
            ? new Dictionary<string, double>()
            : await store.GetTestDurationsAsync(job.UserId, project, cancellationToken);
        return new ShardingInput(sharding.Shards, project, durations);
    }

    /// <summary>Records the durations of the report's tests that ran (skipped ones say nothing of their cost).</summary>
    /// <remarks>A failure here must not change how the job ends: it is logged and the job goes on.</remarks>
    private async Task RecordDurationsAsync(Guid jobId, TestReport report, CancellationToken cancellationToken)
    {
        try
        {
            if (await store.GetJobShardingAsync(jobId, cancellationToken) is not { Project: { } project }) return;
            if (await store.GetJobAsync(jobId, cancellationToken) is not { } job) return;
            var durations = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var test in report.Tests)
            {
                if (test.Outcome != TestOutcome.Skipped && double.IsFinite(test.TimeSeconds) && test.TimeSeconds >= 0) durations[test.Name] = test.TimeSeconds;
            }
            await store.RecordTestDurationsAsync(job.UserId, project, durations, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogDurationsNotRecorded(logger, exception, jobId);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Job {JobId}: its test durations could not be recorded.")]
    private static partial void LogDurationsNotRecorded(ILogger logger, Exception exception, Guid jobId);
}

/// <summary>What a runner needs to shard a job (<see cref="JobLifecycle.GetShardingAsync"/>).</summary>
/// <param name="Shards">The shards the submission asked for; null when it did not say.</param>
/// <param name="Project">The project's name, for its history.</param>
/// <param name="Durations">The project's recorded test durations in seconds, by test id.</param>
public sealed record ShardingInput(int? Shards, string Project, IReadOnlyDictionary<string, double> Durations);
