using Ci.Server.Isolation;
using Ci.Server.Recipes;

namespace Ci.Server.Runner;

/// <summary>A running job as its recipe uses it: programs run in the sandbox, output and status lines go to its log.</summary>
/// <param name="marker">The job's mark in its processes' environment, by which a stop finds them all.</param>
/// <param name="siteMounts">Shown to every program of the job besides its own mounts (its resolv.conf).</param>
internal sealed class JobSteps(Sandbox sandbox, string marker, JobLog log, RunningJob job, IReadOnlyList<FolderMount>? siteMounts = null) : IJobSteps
{
    public CancellationToken StopToken => job.StopToken;

    public Task WriteStatusAsync(string text, CancellationToken cancellationToken) => log.WriteStatusAsync(text, cancellationToken);

    public Task<int?> RunAsync(JobCommand command, CancellationToken cancellationToken) =>
        JobProcess.RunAsync(sandbox, siteMounts is { Count: > 0 } ? command with { Mounts = [.. command.Mounts ?? [], .. siteMounts] } : command,
            marker, log, job, cancellationToken);

    public void LimitTo(TimeSpan limit) => job.LimitTo(limit);
}
