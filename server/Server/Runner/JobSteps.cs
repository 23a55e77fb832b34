using Ci.Core.Protocol;
using Ci.Server.Isolation;
using Ci.Server.Recipes;
using Ci.Server.Sharding;
using Ci.Store;

namespace Ci.Server.Runner;

/// <summary>A running job as its recipe uses it: programs run in the sandbox, output and status lines go to its log.</summary>
/// <param name="marker">The job's mark in its processes' environment, by which a stop finds them all.</param>
/// <param name="siteMounts">Shown to every program of the job besides its own mounts (its resolv.conf).</param>
/// <param name="pathMap">The job's folders at fixed paths (<see cref="JobCommand.PathMap"/>); null to show them in place.</param>
/// <param name="artifacts">Where the job's artifacts go.</param>
/// <param name="confinement">The job's cgroup: every program starts in it, and what a program leaves running is killed.</param>
/// <param name="runnerId">The runner's name on its leases (for the parts the job takes itself).</param>
/// <param name="part">The part of a job this run is (a shard on another slot): every line it logs gets the shard's prefix.</param>
internal sealed class JobSteps(
    Sandbox sandbox, string marker, JobLog log, RunningJob job, IRunnerChannel channel, IReadOnlyList<FolderMount>? siteMounts = null,
    IReadOnlyList<FolderMount>? pathMap = null, JobConfinement? confinement = null, JobArtifacts? artifacts = null, string runnerId = "",
    JobPart? part = null)
    : IJobSteps
{
    // A part the job runs itself is held for as long as the job may run: if the job's runner dies, the job is
    // recovered as a whole and its parts are made anew, so this lease never needs renewing.
    private static readonly TimeSpan s_ownPartLease = TimeSpan.FromDays(7);

    /// <summary>The variable marking the processes of one part of a job (a shard).</summary>
    public const string PartMarkerVariable = "CI_SHARD_RUN";

    public Task SaveArtifactsAsync(string folder, IReadOnlyList<string> patterns, CancellationToken cancellationToken) =>
        artifacts?.SaveAsync(folder, patterns, cancellationToken) ?? Task.CompletedTask;

    public CancellationToken StopToken => job.StopToken;

    public Task WriteStatusAsync(string text, CancellationToken cancellationToken) =>
        log.WriteStatusAsync(part is null ? text : Prefixed(text), cancellationToken);

    public Task<int?> RunAsync(JobCommand command, CancellationToken cancellationToken)
    {
        if (part is null) return JobProcess.RunAsync(sandbox, Placed(command), marker, log, job, confinement, cancellationToken);
        // A part's processes carry its job's CI_JOB_ID (what the tests may read) and a mark of the part's own, by which
        // its stop finds them: its job, or another part of it, may run on this runner too.
        var environment = new Dictionary<string, string>(command.Environment, StringComparer.Ordinal) { [PartMarkerVariable] = part.Id.ToString("D") };
        return JobProcess.RunAsync(sandbox, Placed(command with { Environment = environment }),
            $"{PartMarkerVariable}={part.Id:D}", log, job, confinement, cancellationToken, new ShardLogPrefix(part.Number, part.Count));
    }

    public Task<int?> RunPartAsync(JobCommand command, string partMarker, IOutputFilter filter, CancellationToken cancellationToken) =>
        JobProcess.RunAsync(sandbox, Placed(command), partMarker, log, job, confinement, cancellationToken, filter, sharesCgroup: true);

    public Task<Jobs.ShardingInput> GetShardingAsync(string projectInTree, CancellationToken cancellationToken) =>
        channel.GetShardingAsync(job.JobId, projectInTree, cancellationToken);

    public Task<bool> CreatePartsAsync(IReadOnlyList<JobPartSpec> parts, CancellationToken cancellationToken) =>
        channel.CreatePartsAsync(job.JobId, parts, cancellationToken);

    public Task<JobPart?> ClaimOwnPartAsync(CancellationToken cancellationToken) =>
        channel.ClaimPartAsync(runnerId, s_ownPartLease, job.JobId, cancellationToken);

    public Task<bool> EndPartAsync(JobPart ownPart, int exitCode, TestReport? report, string? reason, CancellationToken cancellationToken) =>
        channel.EndPartAsync(ownPart.Id, runnerId, exitCode, report, reason, cancellationToken);

    public Task<IReadOnlyList<JobPartState>> GetPartsAsync(CancellationToken cancellationToken) =>
        channel.GetPartsAsync(job.JobId, cancellationToken);

    public void LimitTo(TimeSpan limit) => job.LimitTo(limit);

    /// <summary>The command with the site's mounts added and the job's folders at their fixed paths.</summary>
    private JobCommand Placed(JobCommand command) =>
        command with { Mounts = [.. command.Mounts ?? [], .. siteMounts ?? []], PathMap = pathMap };

    private string Prefixed(string text)
    {
        var prefix = new ShardLogPrefix(part!.Number, part.Count);
        return prefix.Append(text) + prefix.Flush();
    }
}
