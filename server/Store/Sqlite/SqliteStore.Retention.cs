using Ci.Core.Protocol;
using Microsoft.Data.Sqlite;

namespace Ci.Store.Sqlite;

public sealed partial class SqliteStore : IJobRetention
{
    // Finished jobs that ended before $before; end_time is sortable text, so the comparison is a text one.
    const string PrunableJobs = "end_time IS NOT NULL AND end_time < $before AND status IN ($completed, $failed, $cancelled)";

    /// <inheritdoc/>
    public async Task<PrunedJobs> PruneJobsAsync(DateTime endedBefore, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var ids = new List<Guid>();
        long logBytes;
        // One short write transaction per batch: API writes (log appends, submissions) wait at most one batch.
        await using (var writer = await OpenWriterAsync(cancellationToken))
        {
            var connection = writer.Connection;
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            await using (var select = Command(connection, transaction, $"SELECT id FROM jobs WHERE {PrunableJobs} ORDER BY end_time LIMIT $take;"))
            {
                AddPrunableParameters(select, endedBefore);
                select.Parameters.AddWithValue("$take", batchSize);
                await using var reader = await select.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                    ids.Add(Columns.Guid(reader, 0));
            }
            if (ids.Count == 0) return PrunedJobs.None;
            // A JSON array of the ids, one parameter whatever the batch size (a Guid's text needs no escaping).
            var idList = "[" + string.Join(',', ids.Select(id => $"\"{Text(id)}\"")) + "]";
            await using (var size = Command(connection, transaction,
                "SELECT COALESCE(SUM(length(CAST(text AS BLOB))), 0) FROM job_logs WHERE job_id IN (SELECT value FROM json_each($ids));"))
            {
                size.Parameters.AddWithValue("$ids", idList);
                logBytes = (long)(await size.ExecuteScalarAsync(cancellationToken))!;
            }
            // Logs, reports, submission keys and whatever else references the job go with it (ON DELETE CASCADE); the
            // tables written before the job existed do not reference it and are emptied here.
            var sideRows = JobSideTables.DeleteScript("SELECT value FROM json_each($ids)");
            await using (var delete = Command(connection, transaction, sideRows + "DELETE FROM jobs WHERE id IN (SELECT value FROM json_each($ids));"))
            {
                delete.Parameters.AddWithValue("$ids", idList);
                await delete.ExecuteNonQueryAsync(cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
        }
        // A finished job's upload is normally gone already; one left by a crash goes now.
        foreach (var id in ids)
            File.Delete(UploadPath(id));
        return new PrunedJobs(ids.Count, logBytes);
    }

    /// <inheritdoc/>
    public async Task<PrunedJobs> CountPrunableJobsAsync(DateTime endedBefore, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT count(*),
                   COALESCE((SELECT SUM(length(CAST(text AS BLOB))) FROM job_logs WHERE job_id IN (SELECT id FROM jobs WHERE {PrunableJobs})), 0)
            FROM jobs WHERE {PrunableJobs};
            """;
        AddPrunableParameters(command, endedBefore);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new PrunedJobs((int)reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <inheritdoc/>
    public async Task ReclaimSpaceAsync(int maxPages, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPages, 1);
        // Frees at most maxPages pages from the end of the file; a no-op in a file made before auto_vacuum was set
        // (SQLite then reuses the freed pages for new jobs, so the file stops growing instead of shrinking).
        await using var writer = await OpenWriterAsync(cancellationToken);
        await ExecuteAsync(writer.Connection, $"PRAGMA incremental_vacuum({maxPages});", cancellationToken);
    }

    /// <inheritdoc/>
    public async Task DeleteUnqueuedJobAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var writer = await OpenWriterAsync(cancellationToken);
        await using var command = writer.Connection.CreateCommand();
        command.CommandText = JobSideTables.DeleteScript("SELECT $job WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE id = $job)");
        command.Parameters.AddWithValue("$job", Text(jobId));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    static void AddPrunableParameters(SqliteCommand command, DateTime endedBefore)
    {
        command.Parameters.AddWithValue("$before", FormatTime(endedBefore));
        command.Parameters.AddWithValue("$completed", JobStatus.Completed.ToWire());
        command.Parameters.AddWithValue("$failed", JobStatus.Failed.ToWire());
        command.Parameters.AddWithValue("$cancelled", JobStatus.Cancelled.ToWire());
    }
}
