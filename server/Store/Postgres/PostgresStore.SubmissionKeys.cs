using Ci.Core.Protocol;
using Npgsql;
using NpgsqlTypes;

namespace Ci.Store.Postgres;

public sealed partial class PostgresStore : ISubmissionKeyStore
{
    /// <inheritdoc/>
    public async Task<(JobRecord Job, bool Created)> CreateJobOnceAsync(Guid jobId, Guid userId, string idempotencyKey, string uploadPath,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(idempotencyKey);
        var job = new JobRecord(jobId, userId, JobStatus.Queued, Success: null, Now(), StartTime: null, EndTime: null, Reason: null);
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            // Submissions with one (user, key) queue on this lock until the first commits, on every host.
            await using (var lockKey = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended(@user::text || '/' || @key, 0));", connection, transaction))
            {
                Add(lockKey, "user", NpgsqlDbType.Uuid, userId);
                Add(lockKey, "key", NpgsqlDbType.Text, idempotencyKey);
                await lockKey.ExecuteNonQueryAsync(cancellationToken);
            }
            await using (var find = new NpgsqlCommand(
                $"SELECT {JobRows.Columns} FROM jobs WHERE id = (SELECT job_id FROM submission_keys WHERE user_id = @user AND key = @key AND created_at > @since);",
                connection, transaction))
            {
                Add(find, "user", NpgsqlDbType.Uuid, userId);
                Add(find, "key", NpgsqlDbType.Text, idempotencyKey);
                Add(find, "since", NpgsqlDbType.TimestampTz, job.CreatedAt - ISubmissionKeyStore.KeyLifetime);
                if (await JobRows.ReadSingleAsync(find, Columns, cancellationToken) is { } existing)
                    return (existing, false);
            }
            await InsertJobAsync(connection, transaction, job, uploadPath, cancellationToken);
            await using (var remember = new NpgsqlCommand(
                """
                INSERT INTO submission_keys (user_id, key, job_id, created_at) VALUES (@user, @key, @job, @created)
                ON CONFLICT (user_id, key) DO UPDATE SET job_id = EXCLUDED.job_id, created_at = EXCLUDED.created_at;
                """, connection, transaction))
            {
                Add(remember, "user", NpgsqlDbType.Uuid, userId);
                Add(remember, "key", NpgsqlDbType.Text, idempotencyKey);
                Add(remember, "job", NpgsqlDbType.Uuid, jobId);
                Add(remember, "created", NpgsqlDbType.TimestampTz, job.CreatedAt);
                await remember.ExecuteNonQueryAsync(cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
        }
        File.Delete(uploadPath);
        return (job, true);
    }
}
