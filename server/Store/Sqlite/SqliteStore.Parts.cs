using Microsoft.Data.Sqlite;

namespace Ci.Store.Sqlite;

// The parts of running jobs (sharded jobs' shards), claimed by any runner like jobs: see IJobParts.
public sealed partial class SqliteStore
{
    // Schema version 12: parts of a job that any runner may take. Each row belongs to one run of its job (job_attempt).
    const string PartsSchema = """
        CREATE TABLE IF NOT EXISTS job_parts (
            id                TEXT PRIMARY KEY NOT NULL,
            job_id            TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            number            INTEGER NOT NULL,
            count             INTEGER NOT NULL,
            tests             TEXT NOT NULL,
            job_attempt       INTEGER NOT NULL,
            status            TEXT NOT NULL,
            runner_id         TEXT,
            lease_expires_at  TEXT,
            attempts          INTEGER NOT NULL DEFAULT 0,
            exit_code         INTEGER,
            report            TEXT,
            reason            TEXT
        );
        CREATE INDEX IF NOT EXISTS job_parts_job ON job_parts (job_id, number);
        CREATE INDEX IF NOT EXISTS job_parts_queued ON job_parts (status) WHERE status <> 'done';
        """;

    /// <inheritdoc/>
    public async Task<bool> CreateJobPartsAsync(Guid jobId, IReadOnlyList<JobPartSpec> parts, CancellationToken cancellationToken)
    {
        await using var writer = await OpenWriterAsync(cancellationToken);
        var connection = writer.Connection;
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        long attempt;
        await using (var query = Command(connection, transaction, PartRows.RunningAttemptSql))
        {
            query.Parameters.AddWithValue("@job", Text(jobId));
            if (await query.ExecuteScalarAsync(cancellationToken) is not long value) return false;
            attempt = value;
        }
        await using (var delete = Command(connection, transaction, PartRows.DeleteSql))
        {
            delete.Parameters.AddWithValue("@job", Text(jobId));
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var insert = Command(connection, transaction, PartRows.InsertSql))
        {
            var id = insert.Parameters.Add("@id", SqliteType.Text);
            insert.Parameters.AddWithValue("@job", Text(jobId));
            var number = insert.Parameters.Add("@number", SqliteType.Integer);
            var count = insert.Parameters.Add("@count", SqliteType.Integer);
            var tests = insert.Parameters.Add("@tests", SqliteType.Text);
            insert.Parameters.AddWithValue("@attempt", attempt);
            foreach (var part in parts)
            {
                id.Value = Text(Guid.NewGuid());
                number.Value = part.Number;
                count.Value = part.Count;
                tests.Value = PartRows.TestsText(part.TestIds);
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <inheritdoc/>
    public async Task<JobPart?> ClaimNextJobPartAsync(string runnerId, TimeSpan lease, Guid? jobId, CancellationToken cancellationToken)
    {
        await using var writer = await OpenWriterAsync(cancellationToken);
        await using var command = writer.Connection.CreateCommand();
        // One statement: atomic, so two runners never take the same part.
        command.CommandText = PartRows.ClaimSql(jobId is not null, "");
        command.Parameters.AddWithValue("@runner", runnerId);
        command.Parameters.AddWithValue("@expires", FormatTime(Now() + lease));
        if (jobId is { } job) command.Parameters.AddWithValue("@job", Text(job));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? PartRows.ReadClaimed(reader, Columns) : null;
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<Guid>> RenewJobPartLeasesAsync(
        string runnerId, IReadOnlyCollection<Guid> partIds, TimeSpan lease, CancellationToken cancellationToken)
    {
        if (partIds.Count == 0) return [];
        await using var writer = await OpenWriterAsync(cancellationToken);
        await using var command = writer.Connection.CreateCommand();
        command.CommandText = PartRows.RenewSql("id IN (SELECT value FROM json_each(@ids))");
        command.Parameters.AddWithValue("@expires", FormatTime(Now() + lease));
        command.Parameters.AddWithValue("@runner", runnerId);
        command.Parameters.AddWithValue("@ids", "[" + string.Join(",", partIds.Select(id => $"\"{Text(id)}\"")) + "]");
        var held = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) held.Add(Columns.Guid(reader, 0));
        return held;
    }

    /// <inheritdoc/>
    public async Task<bool> FinishJobPartAsync(Guid partId, string runnerId, JobPartResult result, CancellationToken cancellationToken)
    {
        await using var writer = await OpenWriterAsync(cancellationToken);
        await using var command = writer.Connection.CreateCommand();
        command.CommandText = PartRows.FinishSql;
        command.Parameters.AddWithValue("@id", Text(partId));
        command.Parameters.AddWithValue("@runner", runnerId);
        command.Parameters.AddWithValue("@code", result.ExitCode);
        command.Parameters.AddWithValue("@report", DbValue(result.ReportJson));
        command.Parameters.AddWithValue("@reason", DbValue(result.Reason));
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <inheritdoc/>
    public async Task<bool> ReleaseJobPartAsync(Guid partId, string runnerId, CancellationToken cancellationToken)
    {
        await using var writer = await OpenWriterAsync(cancellationToken);
        await using var command = writer.Connection.CreateCommand();
        command.CommandText = PartRows.ReleaseSql("MAX");
        command.Parameters.AddWithValue("@id", Text(partId));
        command.Parameters.AddWithValue("@runner", runnerId);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<JobPartState>> GetJobPartsAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = PartRows.ListSql;
        command.Parameters.AddWithValue("@job", Text(jobId));
        return await ReadPartsAsync(command, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<JobPartState>> RecoverExpiredJobPartsAsync(int maxAttempts, CancellationToken cancellationToken)
    {
        await using var writer = await OpenWriterAsync(cancellationToken);
        await using var command = writer.Connection.CreateCommand();
        command.CommandText = PartRows.RecoverSql;
        command.Parameters.AddWithValue("@max", maxAttempts);
        command.Parameters.AddWithValue("@now", FormatTime(Now()));
        return await ReadPartsAsync(command, cancellationToken);
    }

    static async Task<IReadOnlyList<JobPartState>> ReadPartsAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var parts = new List<JobPartState>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) parts.Add(PartRows.Read(reader, Columns));
        return parts;
    }
}
