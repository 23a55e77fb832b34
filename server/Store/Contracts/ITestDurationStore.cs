namespace Ci.Store;

/// <summary>
/// What sharding needs from the store: each job's requested shards and project name (kept from its submission until
/// the runner reads them), and every project's recorded test durations, by which shards are balanced. A project is
/// the submitting user plus its name: two users' projects of one name never mix.
/// </summary>
public interface ITestDurationStore
{
    /// <summary>Keeps the submission's sharding settings; call it before the job is queued (the runner reads them).</summary>
    Task SaveJobShardingAsync(Guid jobId, JobSharding sharding, CancellationToken cancellationToken);

    /// <summary>The job's sharding settings; null when its submission gave none.</summary>
    Task<JobSharding?> GetJobShardingAsync(Guid jobId, CancellationToken cancellationToken);

    /// <summary>Records the latest duration of each test (seconds by test id), replacing older ones.</summary>
    Task RecordTestDurationsAsync(Guid userId, string project, IReadOnlyDictionary<string, double> durations, CancellationToken cancellationToken);

    /// <summary>The project's recorded durations (seconds by test id); empty when it has none.</summary>
    Task<IReadOnlyDictionary<string, double>> GetTestDurationsAsync(Guid userId, string project, CancellationToken cancellationToken);
}

/// <summary>A submission's sharding settings (<c>X-CI-Shards</c>, <c>X-CI-Project</c>).</summary>
/// <param name="Shards">Shards asked for on the command line (1 to 64); null: the project's settings decide.</param>
/// <param name="Project">The project's name as the client resolved it; null: the server reads it from the tree.</param>
public sealed record JobSharding(int? Shards, string? Project);
