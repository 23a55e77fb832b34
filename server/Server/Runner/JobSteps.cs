using Ci.Server.Isolation;
using Ci.Server.Recipes;

namespace Ci.Server.Runner;

/// <summary>A running job as its recipe uses it: programs run in the sandbox, output and status lines go to its log.</summary>
/// <param name="marker">The job's mark in its processes' environment, by which a stop finds them all.</param>
/// <param name="confinement">The job's cgroup: every program starts in it, and what a program leaves running is killed.</param>
internal sealed class JobSteps(Sandbox sandbox, string marker, JobLog log, RunningJob job, JobConfinement? confinement = null) : IJobSteps
{
    /// <summary>
    /// The sandbox a cached environment's build runs in, and the cache's folder: a program that writes there builds
    /// an entry, which the cache handed to its own user, not to the job's slot uid.
    /// </summary>
    public (Sandbox Sandbox, string Root)? CacheSandbox { get; init; }

    public CancellationToken StopToken => job.StopToken;

    public Task WriteStatusAsync(string text, CancellationToken cancellationToken) => log.WriteStatusAsync(text, cancellationToken);

    public Task<int?> RunAsync(JobCommand command, CancellationToken cancellationToken) =>
        JobProcess.RunAsync(SandboxFor(command), command, marker, log, job, confinement, cancellationToken);

    public void LimitTo(TimeSpan limit) => job.LimitTo(limit);

    private Sandbox SandboxFor(JobCommand command)
    {
        if (CacheSandbox is not { } cache) return sandbox;
        var inCache = cache.Root.TrimEnd('/') + "/";
        var written = command.WritableFolders.Concat((command.Mounts ?? []).Where(mount => mount.Writable).Select(mount => mount.Source));
        return written.Any(folder => folder.StartsWith(inCache, StringComparison.Ordinal)) ? cache.Sandbox : sandbox;
    }
}
