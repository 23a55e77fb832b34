using Microsoft.Data.Sqlite;

namespace Ci.Store.Sqlite;

public sealed partial class SqliteStore : ITestDurationStore
{
    // 7: sharding. A job's settings are written before the job exists (the runner must find them when it claims it),
    // hence no reference to jobs. Durations are the latest per test of a user's project.
    const string TestDurationsSchema = """
        CREATE TABLE IF NOT EXISTS job_sharding (
            job_id   TEXT PRIMARY KEY NOT NULL,
            shards   INTEGER,
            project  TEXT
        );

        CREATE TABLE IF NOT EXISTS test_durations (
            user_id      TEXT NOT NULL,
            project      TEXT NOT NULL,
            test_id      TEXT NOT NULL,
            seconds      REAL NOT NULL,
            recorded_at  TEXT NOT NULL,
            PRIMARY KEY (user_id, project, test_id)
        ) WITHOUT ROWID;
        """;

    /// <inheritdoc/>
    public async Task SaveJobShardingAsync(Guid jobId, JobSharding sharding, CancellationToken cancellationToken)
    {
        await using var writer = await OpenWriterAsync(cancellationToken);
        await using var command = writer.Connection.CreateCommand();
        // An idempotent repeat of a submission keeps the first one's settings.
        command.CommandText = "INSERT OR IGNORE INTO job_sharding (job_id, shards, project) VALUES ($job, $shards, $project);";
        command.Parameters.AddWithValue("$job", Text(jobId));
        command.Parameters.AddWithValue("$shards", DbValue(sharding.Shards));
        command.Parameters.AddWithValue("$project", DbValue(sharding.Project));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<JobSharding?> GetJobShardingAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT shards, project FROM job_sharding WHERE job_id = $job;";
        command.Parameters.AddWithValue("$job", Text(jobId));
        return await DurationRows.ReadShardingAsync(command, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task RecordTestDurationsAsync(Guid userId, string project, IReadOnlyDictionary<string, double> durations,
        CancellationToken cancellationToken)
    {
        if (durations.Count == 0) return;
        await using var writer = await OpenWriterAsync(cancellationToken);
        var connection = writer.Connection;
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using (var upsert = Command(connection, transaction, """
                INSERT INTO test_durations (user_id, project, test_id, seconds, recorded_at)
                VALUES ($user, $project, $test, $seconds, $now)
                ON CONFLICT (user_id, project, test_id) DO UPDATE SET seconds = excluded.seconds, recorded_at = excluded.recorded_at;
                """))
        {
            upsert.Parameters.AddWithValue("$user", Text(userId));
            upsert.Parameters.AddWithValue("$project", project);
            upsert.Parameters.AddWithValue("$now", FormatTime(Now()));
            var test = upsert.Parameters.Add("$test", SqliteType.Text);
            var seconds = upsert.Parameters.Add("$seconds", SqliteType.Real);
            await upsert.PrepareAsync(cancellationToken);
            foreach (var (id, value) in durations)
            {
                test.Value = id;
                seconds.Value = value;
                await upsert.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        await transaction.CommitAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyDictionary<string, double>> GetTestDurationsAsync(Guid userId, string project, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT test_id, seconds FROM test_durations WHERE user_id = $user AND project = $project;";
        command.Parameters.AddWithValue("$user", Text(userId));
        command.Parameters.AddWithValue("$project", project);
        return await DurationRows.ReadDurationsAsync(command, cancellationToken);
    }
}
