using Ci.Core.Protocol;
using Ci.Server.Jobs;
using Ci.Store;

namespace Ci.Server.Runner;

/// <summary>The runner's channel when it runs inside the server: straight calls into <see cref="JobLifecycle"/>.</summary>
public sealed class LocalRunnerChannel(JobLifecycle lifecycle, IArtifactStore artifacts) : IRunnerChannel
{
    /// <inheritdoc />
    public Task<long> SaveArtifactAsync(Guid jobId, string path, Stream content, CancellationToken cancellationToken) =>
        artifacts.SaveArtifactAsync(jobId, path, content, cancellationToken);

    /// <inheritdoc />
    public async Task<Guid?> ClaimAsync(string runnerId, TimeSpan lease, CancellationToken cancellationToken) =>
        (await lifecycle.ClaimAsync(runnerId, lease, cancellationToken))?.Id;

    /// <inheritdoc />
    public Task<IReadOnlyList<Guid>> RenewAsync(string runnerId, IReadOnlyCollection<Guid> jobIds, TimeSpan lease, CancellationToken cancellationToken) =>
        lifecycle.RenewAsync(runnerId, jobIds, lease, cancellationToken);

    /// <inheritdoc />
    public async Task RecoverExpiredAsync(CancellationToken cancellationToken)
    {
        await lifecycle.RecoverExpiredAsync(cancellationToken);
        await lifecycle.RecoverExpiredPartsAsync(cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> IsCancelledAsync(Guid jobId, CancellationToken cancellationToken) => lifecycle.IsCancelledAsync(jobId, cancellationToken);

    /// <inheritdoc />
    public Task AppendLogAsync(Guid jobId, IReadOnlyList<string> chunks, CancellationToken cancellationToken) =>
        lifecycle.AppendAsync(jobId, chunks, cancellationToken);

    /// <inheritdoc />
    public Task<Stream?> OpenUploadAsync(Guid jobId, CancellationToken cancellationToken) => lifecycle.OpenUploadAsync(jobId, cancellationToken);

    /// <inheritdoc />
    public Task<ShardingInput> GetShardingAsync(Guid jobId, string projectInTree, CancellationToken cancellationToken) =>
        lifecycle.GetShardingAsync(jobId, projectInTree, cancellationToken);
    public Task<JobTestPlan> GetTestPlanAsync(Guid jobId, CancellationToken cancellationToken) => lifecycle.GetTestPlanAsync(jobId, cancellationToken);

    /// <inheritdoc />
    public Task<bool> CreatePartsAsync(Guid jobId, IReadOnlyList<JobPartSpec> parts, CancellationToken cancellationToken) =>
        lifecycle.CreatePartsAsync(jobId, parts, cancellationToken);

    /// <inheritdoc />
    public Task<JobPart?> ClaimPartAsync(string runnerId, TimeSpan lease, Guid? jobId, CancellationToken cancellationToken) =>
        lifecycle.ClaimPartAsync(runnerId, lease, jobId, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<Guid>> RenewPartsAsync(string runnerId, IReadOnlyCollection<Guid> partIds, TimeSpan lease, CancellationToken cancellationToken) =>
        lifecycle.RenewPartsAsync(runnerId, partIds, lease, cancellationToken);

    /// <inheritdoc />
    public Task<bool> EndPartAsync(Guid partId, string runnerId, int exitCode, TestReport? report, string? reason, CancellationToken cancellationToken) =>
        lifecycle.EndPartAsync(partId, runnerId, exitCode, report, reason, cancellationToken);

    /// <inheritdoc />
    public Task ReleasePartAsync(Guid partId, string runnerId, CancellationToken cancellationToken) =>
        lifecycle.ReleasePartAsync(partId, runnerId, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<JobPartState>> GetPartsAsync(Guid jobId, CancellationToken cancellationToken) =>
        lifecycle.GetPartsAsync(jobId, cancellationToken);

    /// <inheritdoc />
    public Task<JobStatus?> EndAsync(Guid jobId, string runnerId, JobOutcome outcome, CancellationToken cancellationToken) =>
        lifecycle.EndAsync(jobId, runnerId, outcome, cancellationToken);
}
