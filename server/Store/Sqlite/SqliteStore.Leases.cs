using Ci.Core.Protocol;
using Microsoft.Data.Sqlite;

namespace Ci.Store.Sqlite;

public sealed partial class SqliteStore
{
    /// <inheritdoc/>
    public Task<JobRecord?> ClaimNextQueuedJobAsync(string runnerId, TimeSpan lease, int maxRunningPerUser, CancellationToken cancellationToken) =>
        ClaimAsync(runnerId, lease, maxRunningPerUser, cancellationToken);

    async Task<JobRecord?> ClaimAsync(string? runnerId, TimeSpan? lease, int maxRunningPerUser, CancellationToken cancellationToken)
    {
        await using var writer = await OpenWriterAsync(cancellationToken);
        await using var command = writer.Connection.CreateCommand();
        // A single statement is atomic: two runners can never claim the same job, and no claim sees a stale count.
        command.CommandText = $"""
            UPDATE jobs SET status = $running, start_time = $now, runner_id = $runner, lease_expires_at = $expires,
                            attempts = attempts + 1
            WHERE id = ({FairShareSql.NextJob("$queued", "$running", "$cap", "rowid", "")})
              AND status = $queued
            RETURNING {JobRows.Columns};
            """;
        var now = Now();
        command.Parameters.AddWithValue("$running", JobStatus.Running.ToWire());
        command.Parameters.AddWithValue("$queued", JobStatus.Queued.ToWire());
        command.Parameters.AddWithValue("$cap", maxRunningPerUser);
        command.Parameters.AddWithValue("$now", FormatTime(now));
        command.Parameters.AddWithValue("$runner", DbValue(runnerId));
        command.Parameters.AddWithValue("$expires", DbValue(lease is { } l ? FormatTime(now + l) : null));
        return await JobRows.ReadSingleAsync(command, Columns, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<Guid>> RenewLeasesAsync(
        string runnerId, IReadOnlyCollection<Guid> jobIds, TimeSpan lease, CancellationToken cancellationToken)
    {
        if (jobIds.Count == 0) return [];
        await using var writer = await OpenWriterAsync(cancellationToken);
        await using var command = writer.Connection.CreateCommand();
        command.CommandText = """
            UPDATE jobs SET lease_expires_at = $expires
            WHERE runner_id = $runner AND status = $running AND id IN (SELECT value FROM json_each($ids))
            RETURNING id;
            """;
        command.Parameters.AddWithValue("$expires", FormatTime(Now() + lease));
        command.Parameters.AddWithValue("$runner", runnerId);
        command.Parameters.AddWithValue("$running", JobStatus.Running.ToWire());
        command.Parameters.AddWithValue("$ids", "[" + string.Join(",", jobIds.Select(id => $"\"{Text(id)}\"")) + "]");
        var held = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) held.Add(Columns.Guid(reader, 0));
        return held;
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<RecoveredJob>> RecoverExpiredLeasesAsync(
        int maxAttempts, string requeuedLine, string failedReason, CancellationToken cancellationToken)
    {
        await using var writer = await OpenWriterAsync(cancellationToken);
        var connection = writer.Connection;
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var now = FormatTime(Now());
        var recovered = new List<RecoveredJob>();
        await using (var update = Command(connection, transaction, $"""
                UPDATE jobs SET
                    status = CASE WHEN attempts < $max THEN $queued ELSE $failed END,
                    success = CASE WHEN attempts < $max THEN NULL ELSE 0 END,
                    reason = CASE WHEN attempts < $max THEN NULL ELSE $reason END,
                    end_time = CASE WHEN attempts < $max THEN NULL ELSE $now END,
                    start_time = CASE WHEN attempts < $max THEN NULL ELSE start_time END,
                    runner_id = NULL, lease_expires_at = NULL
                WHERE status = $running AND lease_expires_at IS NOT NULL AND lease_expires_at < $now
                RETURNING {JobRows.Columns};
                """))
        {
            update.Parameters.AddWithValue("$max", maxAttempts);
            update.Parameters.AddWithValue("$queued", JobStatus.Queued.ToWire());
            update.Parameters.AddWithValue("$failed", JobStatus.Failed.ToWire());
            update.Parameters.AddWithValue("$running", JobStatus.Running.ToWire());
            update.Parameters.AddWithValue("$reason", failedReason);
            update.Parameters.AddWithValue("$now", now);
            await using var reader = await update.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var job = JobRows.Read(reader, Columns);
                recovered.Add(new RecoveredJob(job, job.Status == JobStatus.Queued));
            }
        }
        foreach (var job in recovered)
            await AppendInTransactionAsync(connection, transaction, job.Job.Id, job.Requeued ? requeuedLine : failedReason, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return recovered;
    }

    /// <inheritdoc/>
    public async Task<JobRecord?> FinishHeldJobAsync(
        Guid jobId, string runnerId, JobStatus status, bool success, string? reason, CancellationToken cancellationToken)
    {
        if (!status.IsFinal())
            throw new ArgumentOutOfRangeException(nameof(status), status, "A job can only be finished with a final status.");
        await using var writer = await OpenWriterAsync(cancellationToken);
        await using var command = writer.Connection.CreateCommand();
        command.CommandText = $"""
            UPDATE jobs SET status = $status, success = $success, reason = $reason, end_time = $now, lease_expires_at = NULL
            WHERE id = $id AND status = $running AND runner_id = $runner
            RETURNING {JobRows.Columns};
            """;
        command.Parameters.AddWithValue("$id", Text(jobId));
        command.Parameters.AddWithValue("$runner", runnerId);
        command.Parameters.AddWithValue("$status", status.ToWire());
        command.Parameters.AddWithValue("$success", success ? 1 : 0);
        command.Parameters.AddWithValue("$reason", DbValue(reason));
        command.Parameters.AddWithValue("$now", FormatTime(Now()));
        command.Parameters.AddWithValue("$running", JobStatus.Running.ToWire());
        return await JobRows.ReadSingleAsync(command, Columns, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<bool> ReleaseJobAsync(Guid jobId, string runnerId, string logLine, CancellationToken cancellationToken)
    {
        await using var writer = await OpenWriterAsync(cancellationToken);
        var connection = writer.Connection;
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = Command(connection, transaction, """
                UPDATE jobs SET status = $queued, start_time = NULL, runner_id = NULL, lease_expires_at = NULL,
                                attempts = MAX(attempts - 1, 0)
                WHERE id = $id AND status = $running AND runner_id = $runner;
                """))
        {
            command.Parameters.AddWithValue("$id", Text(jobId));
            command.Parameters.AddWithValue("$runner", runnerId);
            command.Parameters.AddWithValue("$queued", JobStatus.Queued.ToWire());
            command.Parameters.AddWithValue("$running", JobStatus.Running.ToWire());
            if (await command.ExecuteNonQueryAsync(cancellationToken) == 0) return false;
        }
        // The attempt is given back, so the next run has this run's number: its parts must not look like the next run's.
        await using (var parts = Command(connection, transaction, PartRows.DeleteSql))
        {
            parts.Parameters.AddWithValue("@job", Text(jobId));
            await parts.ExecuteNonQueryAsync(cancellationToken);
        }
        await AppendInTransactionAsync(connection, transaction, jobId, logLine, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <inheritdoc/>
    public async Task<CancelledJob?> CancelJobAsync(Guid jobId, string reason, string logLine, CancellationToken cancellationToken)
    {
        await using var writer = await OpenWriterAsync(cancellationToken);
        var connection = writer.Connection;
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        JobRecord? ended;
        await using (var command = Command(connection, transaction, $"""
                UPDATE jobs SET status = $cancelled, success = 0, reason = $reason, end_time = $now, lease_expires_at = NULL
                WHERE id = $id AND status IN ($queued, $running)
                RETURNING {JobRows.Columns};
                """))
        {
            command.Parameters.AddWithValue("$id", Text(jobId));
            command.Parameters.AddWithValue("$cancelled", JobStatus.Cancelled.ToWire());
            command.Parameters.AddWithValue("$reason", reason);
            command.Parameters.AddWithValue("$now", FormatTime(Now()));
            command.Parameters.AddWithValue("$queued", JobStatus.Queued.ToWire());
            command.Parameters.AddWithValue("$running", JobStatus.Running.ToWire());
            ended = await JobRows.ReadSingleAsync(command, Columns, cancellationToken);
        }
        if (ended is null) return null;
        var sequence = await AppendInTransactionAsync(connection, transaction, jobId, logLine, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new CancelledJob(ended, new LogChunk(sequence, logLine));
    }

    static async Task<long> AppendInTransactionAsync(
        SqliteConnection connection, SqliteTransaction transaction, Guid jobId, string line, CancellationToken cancellationToken)
    {
        await using var append = connection.CreateCommand();
        append.Transaction = transaction;
        append.CommandText = """
            INSERT INTO job_logs (job_id, seq, text)
            VALUES ($job, (SELECT COALESCE(MAX(seq), 0) + 1 FROM job_logs WHERE job_id = $job), $text)
            RETURNING seq;
            """;
        append.Parameters.AddWithValue("$job", Text(jobId));
        append.Parameters.AddWithValue("$text", line.EndsWith('\n') ? line : line + "\n");
        return (long)(await append.ExecuteScalarAsync(cancellationToken))!;
    }
}
