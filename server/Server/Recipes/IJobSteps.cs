using Ci.Core.Protocol;
using Ci.Server.Isolation;
using Ci.Store;

namespace Ci.Server.Recipes;

/// <summary>
/// What a recipe may do in the job it runs (the runner provides it): write the runner's own lines to the job's log,
/// run one program of the job, and shorten the job's time limit.
/// </summary>
internal interface IJobSteps
{
    /// <summary>Cancelled when the job must stop (the runner knows why).</summary>
    CancellationToken StopToken { get; }

    /// <summary>A line of the runner's own (step headers, why the job failed); stored with all output before it.</summary>
    Task WriteStatusAsync(string text, CancellationToken cancellationToken);

    /// <summary>Runs one program of the job; its exit code, or null when the job was stopped.</summary>
    Task<int?> RunAsync(JobCommand command, CancellationToken cancellationToken);

    /// <summary>
    /// Runs one of several programs of the job that run side by side (its shards): output goes through
    /// <paramref name="filter"/>, and what it leaves behind is found by <paramref name="marker"/> (an entry of the
    /// command's variables, <c>NAME=value</c>) so that one ending never kills the others. Null when the job was stopped.
    /// </summary>
    Task<int?> RunPartAsync(JobCommand command, string marker, IOutputFilter filter, CancellationToken cancellationToken);

    /// <summary>What sharding the job needs (shards asked for, project, recorded durations); see <see cref="Jobs.ShardingInput"/>.</summary>
    Task<Jobs.ShardingInput> GetShardingAsync(string projectInTree, CancellationToken cancellationToken);

    /// <summary>Stores the job's parts (its shards) for any runner to take, replacing earlier ones; false when the job no longer runs.</summary>
    Task<bool> CreatePartsAsync(IReadOnlyList<JobPartSpec> parts, CancellationToken cancellationToken);

    /// <summary>Takes the next queued part of this job to run here (null when none is queued).</summary>
    Task<JobPart?> ClaimOwnPartAsync(CancellationToken cancellationToken);

    /// <summary>Ends a part this job took itself with its exit code and report.</summary>
    Task<bool> EndPartAsync(JobPart part, int exitCode, TestReport? report, string? reason, CancellationToken cancellationToken);

    /// <summary>Where the job's parts stand (wherever they run).</summary>
    Task<IReadOnlyList<JobPartState>> GetPartsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Keeps the files of <paramref name="folder"/> matching <paramref name="patterns"/> as the job's artifacts (up to
    /// the runner's limit; what was kept or left out is said in the log).
    /// </summary>
    Task SaveArtifactsAsync(string folder, IReadOnlyList<string> patterns, CancellationToken cancellationToken);

    /// <summary>Shortens the job's time limit (a project's own <c>timeout</c>); a longer one is ignored.</summary>
    void LimitTo(TimeSpan limit);
}
