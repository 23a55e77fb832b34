using Ci.Core.Protocol;
using Microsoft.Data.Sqlite;

namespace Ci.Store.Sqlite;

public sealed partial class SqliteStore : ISubmissionKeyStore
{
    // Migration 4: idempotency keys of submissions. A job's keys go with it.
    const string SubmissionKeysSchema = """
        CREATE TABLE IF NOT EXISTS submission_keys (
            user_id     TEXT NOT NULL REFERENCES users (id),
            key         TEXT NOT NULL,
            job_id      TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            created_at  TEXT NOT NULL,
            PRIMARY KEY (user_id, key)
        ) WITHOUT ROWID;
        """;

    /// <inheritdoc/>
    public async Task<(JobRecord Job, bool Created)> CreateJobOnceAsync(Guid jobId, Guid userId, string idempotencyKey, string uploadPath,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(idempotencyKey);
        var now = Now();
        var job = new JobRecord(jobId, userId, JobStatus.Queued, Success: null, now, StartTime: null, EndTime: null, Reason: null);
        var stored = UploadPath(jobId);
        // This store's writers queue on the gate, so the look-up and the insert below cannot interleave with
        // another submission's in this process; the transaction covers other processes on the same file.
        await using var writer = await OpenWriterAsync(cancellationToken);
        var connection = writer.Connection;
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);

        await using (var find = connection.CreateCommand())
        {
            find.Transaction = transaction;
            find.CommandText = "SELECT job_id FROM submission_keys WHERE user_id = $user AND key = $key AND created_at > $since;";
            find.Parameters.AddWithValue("$user", Text(userId));
            find.Parameters.AddWithValue("$key", idempotencyKey);
            find.Parameters.AddWithValue("$since", FormatTime(now - ISubmissionKeyStore.KeyLifetime));
            if (await find.ExecuteScalarAsync(cancellationToken) is string earlier)
            {
                await using var get = connection.CreateCommand();
                get.Transaction = transaction;
                get.CommandText = $"SELECT {JobRows.Columns} FROM jobs WHERE id = $id;";
                get.Parameters.AddWithValue("$id", earlier);
                if (await JobRows.ReadSingleAsync(get, Columns, cancellationToken) is { } existing)
                    return (existing, false);
            }
        }

        File.Move(uploadPath, stored, overwrite: false);
        try
        {
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO jobs (id, user_id, status, created_at) VALUES ($id, $user, $status, $created);
                INSERT OR REPLACE INTO submission_keys (user_id, key, job_id, created_at) VALUES ($user, $key, $id, $created);
                """;
            insert.Parameters.AddWithValue("$id", Text(jobId));
            insert.Parameters.AddWithValue("$user", Text(userId));
            insert.Parameters.AddWithValue("$status", job.Status.ToWire());
            insert.Parameters.AddWithValue("$created", FormatTime(now));
            insert.Parameters.AddWithValue("$key", idempotencyKey);
            await insert.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch
        {
            File.Move(stored, uploadPath, overwrite: true);
            throw;
        }
        return (job, true);
    }
}
