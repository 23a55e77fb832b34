using Npgsql;
using NpgsqlTypes;

namespace Ci.Store.Postgres;

public sealed partial class PostgresStore : IJobRetention
{
    // Held for one batch's transaction: API replicas sharing the store prune one at a time, the others skip their turn.
    const long PruneLockKey = 4242017;

    const string PrunableJobs = "end_time IS NOT NULL AND end_time < @before AND status IN ('completed', 'failed', 'cancelled')";

    /// <inheritdoc/>
    public async Task<PrunedJobs> PruneJobsAsync(DateTime endedBefore, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_try_advisory_xact_lock(@key);", connection, transaction))
        {
            Add(lockCommand, "key", NpgsqlDbType.Bigint, PruneLockKey);
            if (!(bool)(await lockCommand.ExecuteScalarAsync(cancellationToken))!)
                return PrunedJobs.None with { Busy = true };
        }
        // Logs, uploads, reports, submission keys and whatever else references the job go with it (ON DELETE CASCADE);
        // the tables written before the job existed do not reference it and are emptied by their own statements (a
        // data-modifying WITH runs whether or not the query reads it). The sizes are read in the same snapshot, before
        // the delete.
        var sideRows = string.Concat(JobSideTables.DeleteSql("SELECT id FROM doomed").Select(delete => $"\n     {delete.Table}_gone AS ({delete.Sql}),"));
        await using var prune = new NpgsqlCommand($"""
            WITH doomed AS (SELECT id FROM jobs WHERE {PrunableJobs} ORDER BY end_time LIMIT @take FOR UPDATE SKIP LOCKED),{sideRows}
                 sizes AS (SELECT COALESCE(SUM(octet_length(text)), 0)::bigint AS bytes FROM job_logs WHERE job_id IN (SELECT id FROM doomed)),
                 gone AS (DELETE FROM jobs WHERE id IN (SELECT id FROM doomed) RETURNING id)
            SELECT (SELECT count(*) FROM gone), (SELECT bytes FROM sizes);
            """, connection, transaction);
        Add(prune, "before", NpgsqlDbType.TimestampTz, endedBefore);
        Add(prune, "take", NpgsqlDbType.Integer, batchSize);
        PrunedJobs pruned;
        await using (var reader = await prune.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            pruned = new PrunedJobs((int)reader.GetInt64(0), reader.GetInt64(1));
        }
        await transaction.CommitAsync(cancellationToken);
        return pruned;
    }

    /// <inheritdoc/>
    public async Task<PrunedJobs> CountPrunableJobsAsync(DateTime endedBefore, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT count(*),
                   COALESCE((SELECT SUM(octet_length(text)) FROM job_logs WHERE job_id IN (SELECT id FROM jobs WHERE {PrunableJobs})), 0)::bigint
            FROM jobs WHERE {PrunableJobs};
            """);
        Add(command, "before", NpgsqlDbType.TimestampTz, endedBefore);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new PrunedJobs((int)reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <inheritdoc/>
    public async Task DeleteUnqueuedJobAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(JobSideTables.DeleteScript("SELECT @job WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE id = @job)"));
        Add(command, "job", NpgsqlDbType.Uuid, jobId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>PostgreSQL's autovacuum makes the deleted rows' space reusable; nothing to do here.</remarks>
    public Task ReclaimSpaceAsync(int maxPages, CancellationToken cancellationToken) => Task.CompletedTask;
}
