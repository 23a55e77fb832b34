using Npgsql;
using NpgsqlTypes;

namespace Ci.Store.Postgres;

// Sharding settings and test durations: the same contract as SqliteStore's, on PostgreSQL.
public sealed partial class PostgresStore : ITestDurationStore
{
    /// <inheritdoc/>
    public async Task SaveJobShardingAsync(Guid jobId, JobSharding sharding, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // An idempotent repeat of a submission keeps the first one's settings.
        await using var command = new NpgsqlCommand(
            "INSERT INTO job_sharding (job_id, shards, project) VALUES (@job, @shards, @project) ON CONFLICT (job_id) DO NOTHING;", connection);
        Add(command, "job", NpgsqlDbType.Uuid, jobId);
        Add(command, "shards", NpgsqlDbType.Integer, sharding.Shards);
        Add(command, "project", NpgsqlDbType.Text, sharding.Project);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<JobSharding?> GetJobShardingAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT shards, project FROM job_sharding WHERE job_id = @job;");
        Add(command, "job", NpgsqlDbType.Uuid, jobId);
        return await DurationRows.ReadShardingAsync(command, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task RecordTestDurationsAsync(Guid userId, string project, IReadOnlyDictionary<string, double> durations,
        CancellationToken cancellationToken)
    {
        if (durations.Count == 0) return;
        // One statement for the whole report: unnest pairs the two arrays row by row.
        await using var command = dataSource.CreateCommand("""
            INSERT INTO test_durations (user_id, project, test_id, seconds, recorded_at)
            SELECT @user, @project, test_id, seconds, @now FROM unnest(@tests, @seconds) AS given (test_id, seconds)
            ON CONFLICT (user_id, project, test_id) DO UPDATE SET seconds = excluded.seconds, recorded_at = excluded.recorded_at;
            """);
        Add(command, "user", NpgsqlDbType.Uuid, userId);
        Add(command, "project", NpgsqlDbType.Text, project);
        Add(command, "now", NpgsqlDbType.TimestampTz, Now());
        Add(command, "tests", NpgsqlDbType.Array | NpgsqlDbType.Text, durations.Keys.ToArray());
        Add(command, "seconds", NpgsqlDbType.Array | NpgsqlDbType.Double, durations.Values.ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyDictionary<string, double>> GetTestDurationsAsync(Guid userId, string project, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT test_id, seconds FROM test_durations WHERE user_id = @user AND project = @project;");
        Add(command, "user", NpgsqlDbType.Uuid, userId);
        Add(command, "project", NpgsqlDbType.Text, project);
        return await DurationRows.ReadDurationsAsync(command, cancellationToken);
    }
}
