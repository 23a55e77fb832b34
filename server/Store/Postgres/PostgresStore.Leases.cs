using Ci.Core.Protocol;
using NpgsqlTypes;

namespace Ci.Store.Postgres;

public sealed partial class PostgresStore
{
    /// <inheritdoc/>
    public Task<JobRecord?> ClaimNextQueuedJobAsync(string runnerId, TimeSpan lease, int maxRunningPerUser, CancellationToken cancellationToken) =>
        ClaimAsync(runnerId, lease, maxRunningPerUser, cancellationToken);

    async Task<JobRecord?> ClaimAsync(string? runnerId, TimeSpan? lease, int maxRunningPerUser, CancellationToken cancellationToken)
    {
        // SKIP LOCKED: runners claiming at the same moment each take a different job instead of queueing on one row
        // (the second may then take the same user's next job: the share is fair between claims, not within one instant).
        await using var command = dataSource.CreateCommand($"""
            UPDATE jobs SET status = 'running', start_time = @now, runner_id = @runner, lease_expires_at = @expires,
                            attempts = attempts + 1
            WHERE id = ({FairShareSql.NextJob("'queued'", "'running'", "@cap", "row_no", "FOR UPDATE OF q SKIP LOCKED")})
            RETURNING {JobRows.Columns};
            """);
        var now = Now();
        Add(command, "now", NpgsqlDbType.TimestampTz, now);
        Add(command, "runner", NpgsqlDbType.Text, runnerId);
        Add(command, "cap", NpgsqlDbType.Integer, maxRunningPerUser);
        Add(command, "expires", NpgsqlDbType.TimestampTz, lease is { } l ? now + l : null);
        return await JobRows.ReadSingleAsync(command, Columns, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<Guid>> RenewLeasesAsync(
        string runnerId, IReadOnlyCollection<Guid> jobIds, TimeSpan lease, CancellationToken cancellationToken)
    {
        if (jobIds.Count == 0) return [];
        await using var command = dataSource.CreateCommand("""
            UPDATE jobs SET lease_expires_at = @expires
            WHERE id = ANY(@ids) AND status = 'running' AND runner_id = @runner
            RETURNING id;
            """);
        Add(command, "expires", NpgsqlDbType.TimestampTz, Now() + lease);
        Add(command, "ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid, jobIds.ToArray());
        Add(command, "runner", NpgsqlDbType.Text, runnerId);
        var held = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) held.Add(reader.GetGuid(0));
        return held;
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<RecoveredJob>> RecoverExpiredLeasesAsync(
        int maxAttempts, string requeuedLine, string failedReason, CancellationToken cancellationToken) =>
        await EndJobsAsync("""
            UPDATE jobs SET
                status = CASE WHEN attempts < @max THEN 'queued' ELSE 'failed' END,
                success = CASE WHEN attempts < @max THEN NULL ELSE false END,
                reason = CASE WHEN attempts < @max THEN NULL ELSE @reason END,
                end_time = CASE WHEN attempts < @max THEN NULL ELSE @now END,
                start_time = CASE WHEN attempts < @max THEN NULL ELSE start_time END,
                runner_id = NULL, lease_expires_at = NULL
            WHERE id IN (SELECT id FROM jobs WHERE status = 'running' AND lease_expires_at < @now FOR UPDATE SKIP LOCKED)
            RETURNING {0}
            """, requeuedLine, failedReason, maxAttempts, cancellationToken);

    /// <inheritdoc/>
    public async Task<CancelledJob?> CancelJobAsync(Guid jobId, string reason, string logLine, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        JobRecord? ended;
        await using (var cancel = new Npgsql.NpgsqlCommand($"""
            UPDATE jobs SET status = 'cancelled', success = false, reason = @reason, end_time = @now, lease_expires_at = NULL
            WHERE id = @id AND status IN ('queued', 'running')
            RETURNING {JobRows.Columns};
            """, connection, transaction))
        {
            Add(cancel, "id", NpgsqlDbType.Uuid, jobId);
            Add(cancel, "reason", NpgsqlDbType.Text, reason);
            Add(cancel, "now", NpgsqlDbType.TimestampTz, Now());
            ended = await JobRows.ReadSingleAsync(cancel, Columns, cancellationToken);
        }
        if (ended is null) return null;
        long sequence;
        // The line first, then the end: replicas that hear "cancelled" find the line already there (one commit).
        await using (var append = new Npgsql.NpgsqlCommand(AppendSql, connection, transaction))
        {
            Add(append, "job", NpgsqlDbType.Uuid, jobId);
            Add(append, "text", NpgsqlDbType.Text, logLine);
            sequence = (long)(await append.ExecuteScalarAsync(cancellationToken))!;
        }
        await using (var notify = new Npgsql.NpgsqlCommand("SELECT pg_notify('ci_job', @id::text || ' cancelled');", connection, transaction))
        {
            Add(notify, "id", NpgsqlDbType.Uuid, jobId);
            await notify.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return new CancelledJob(ended, new LogChunk(sequence, logLine));
    }

    /// <inheritdoc/>
    public async Task<bool> ReleaseJobAsync(Guid jobId, string runnerId, string logLine, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var release = new Npgsql.NpgsqlCommand("""
            UPDATE jobs SET status = 'queued', start_time = NULL, runner_id = NULL, lease_expires_at = NULL,
                            attempts = GREATEST(attempts - 1, 0)
            WHERE id = @id AND status = 'running' AND runner_id = @runner;
            """, connection, transaction))
        {
            Add(release, "id", NpgsqlDbType.Uuid, jobId);
            Add(release, "runner", NpgsqlDbType.Text, runnerId);
            if (await release.ExecuteNonQueryAsync(cancellationToken) == 0) return false;
        }
        // The attempt is given back, so the next run has this run's number: its parts must not look like the next run's.
        await using (var parts = new Npgsql.NpgsqlCommand(PartRows.DeleteSql, connection, transaction))
        {
            Add(parts, "job", NpgsqlDbType.Uuid, jobId);
            await parts.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var append = new Npgsql.NpgsqlCommand(AppendSql + "\nSELECT pg_notify('ci_queued', @job::text);", connection, transaction))
        {
            Add(append, "job", NpgsqlDbType.Uuid, jobId);
            Add(append, "text", NpgsqlDbType.Text, logLine.EndsWith('\n') ? logLine : logLine + "\n");
            await append.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return true;
    }
}
