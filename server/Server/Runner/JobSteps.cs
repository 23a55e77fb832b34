using Ci.Server.Isolation;
using Ci.Server.Recipes;

namespace Ci.Server.Runner;

/// <summary>A running job as its recipe uses it: programs run in the sandbox, output and status lines go to its log.</summary>
/// <param name="marker">The job's mark in its processes' environment, by which a stop finds them all.</param>
/// <param name="siteMounts">Shown to every program of the job besides its own mounts (its resolv.conf).</param>
/// <param name="pathMap">The job's folders at fixed paths (<see cref="JobCommand.PathMap"/>); null to show them in place.</param>
/// <param name="artifacts">Where the job's artifacts go.</param>
/// <param name="confinement">The job's cgroup: every program starts in it, and what a program leaves running is killed.</param>
internal sealed class JobSteps(
    Sandbox sandbox, string marker, JobLog log, RunningJob job, IRunnerChannel channel, IReadOnlyList<FolderMount>? siteMounts = null,
    IReadOnlyList<FolderMount>? pathMap = null, JobConfinement? confinement = null, JobArtifacts? artifacts = null)
    : IJobSteps
{
    public Task SaveArtifactsAsync(string folder, IReadOnlyList<string> patterns, CancellationToken cancellationToken) =>
        artifacts?.SaveAsync(folder, patterns, cancellationToken) ?? Task.CompletedTask;

    public CancellationToken StopToken => job.StopToken;

    public Task WriteStatusAsync(string text, CancellationToken cancellationToken) => log.WriteStatusAsync(text, cancellationToken);

    public Task<int?> RunAsync(JobCommand command, CancellationToken cancellationToken) =>
        JobProcess.RunAsync(sandbox, command with { Mounts = [.. command.Mounts ?? [], .. siteMounts ?? []], PathMap = pathMap },
            marker, log, job, confinement, cancellationToken);

    public Task<int?> RunPartAsync(JobCommand command, string partMarker, IOutputFilter filter, CancellationToken cancellationToken) =>
        JobProcess.RunAsync(sandbox, command with { Mounts = [.. command.Mounts ?? [], .. siteMounts ?? []], PathMap = pathMap },
            partMarker, log, job, confinement, cancellationToken, filter, sharesCgroup: true);

    public Task<Jobs.ShardingInput> GetShardingAsync(string projectInTree, CancellationToken cancellationToken) =>
        channel.GetShardingAsync(job.Id, projectInTree, cancellationToken);

    public void LimitTo(TimeSpan limit) => job.LimitTo(limit);
}
