using Ci.Server.Isolation;
using Ci.Server.Recipes;

namespace Ci.Server.Runner;

/// <summary>A running job as its recipe uses it: programs run in the sandbox, output and status lines go to its log.</summary>
/// <param name="marker">The job's mark in its processes' environment, by which a stop finds them all.</param>
/// <param name="artifacts">Where the job's artifacts go.</param>
internal sealed class JobSteps(Sandbox sandbox, string marker, JobLog log, RunningJob job, JobArtifacts artifacts) : IJobSteps
{
    public Task SaveArtifactsAsync(string folder, IReadOnlyList<string> patterns, CancellationToken cancellationToken) =>
        artifacts.SaveAsync(folder, patterns, cancellationToken);

    public CancellationToken StopToken => job.StopToken;

    public Task WriteStatusAsync(string text, CancellationToken cancellationToken) => log.WriteStatusAsync(text, cancellationToken);

    public Task<int?> RunAsync(JobCommand command, CancellationToken cancellationToken) =>
        JobProcess.RunAsync(sandbox, command, marker, log, job, cancellationToken);

    public void LimitTo(TimeSpan limit) => job.LimitTo(limit);
}
