using Npgsql;
using NpgsqlTypes;

namespace Ci.Store.Postgres;

// The parts of running jobs (sharded jobs' shards): the same contract as SqliteStore's, on PostgreSQL.
public sealed partial class PostgresStore
{
    // 12: parts of a job that any runner may take. Each row belongs to one run of its job (job_attempt).
    const string PartsSchema = """
        CREATE TABLE job_parts (
            id                uuid PRIMARY KEY,
            job_id            uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            number            integer NOT NULL,
            count             integer NOT NULL,
            tests             text NOT NULL,
            job_attempt       integer NOT NULL,
            status            text NOT NULL,
            runner_id         text,
            lease_expires_at  timestamptz,
            attempts          integer NOT NULL DEFAULT 0,
            exit_code         integer,
            report            text,
            reason            text
        );
        CREATE INDEX job_parts_job ON job_parts (job_id, number);
        CREATE INDEX job_parts_open ON job_parts (status) WHERE status <> 'done';
        """;

    /// <inheritdoc/>
    public async Task<bool> CreateJobPartsAsync(Guid jobId, IReadOnlyList<JobPartSpec> parts, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        int attempt;
        // FOR UPDATE: the job's recovery (which changes its attempt) waits for these parts, or these for it.
        await using (var query = new NpgsqlCommand(PartRows.RunningAttemptSql.Replace(";", " FOR UPDATE;", StringComparison.Ordinal), connection, transaction))
        {
            Add(query, "job", NpgsqlDbType.Uuid, jobId);
            if (await query.ExecuteScalarAsync(cancellationToken) is not int value) return false;
            attempt = value;
        }
        await using (var delete = new NpgsqlCommand(PartRows.DeleteSql, connection, transaction))
        {
            Add(delete, "job", NpgsqlDbType.Uuid, jobId);
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var part in parts)
        {
            var insert = new NpgsqlBatchCommand(PartRows.InsertSql);
            insert.Parameters.Add(new NpgsqlParameter("id", NpgsqlDbType.Uuid) { Value = Guid.NewGuid() });
            insert.Parameters.Add(new NpgsqlParameter("job", NpgsqlDbType.Uuid) { Value = jobId });
            insert.Parameters.Add(new NpgsqlParameter("number", NpgsqlDbType.Integer) { Value = part.Number });
            insert.Parameters.Add(new NpgsqlParameter("count", NpgsqlDbType.Integer) { Value = part.Count });
            insert.Parameters.Add(new NpgsqlParameter("tests", NpgsqlDbType.Text) { Value = PartRows.TestsText(part.TestIds) });
            insert.Parameters.Add(new NpgsqlParameter("attempt", NpgsqlDbType.Integer) { Value = attempt });
            batch.BatchCommands.Add(insert);
        }
        // Runners of every host wake up to take the parts (delivered at commit).
        var notify = new NpgsqlBatchCommand("SELECT pg_notify('ci_queued', @job::text);");
        notify.Parameters.Add(new NpgsqlParameter("job", NpgsqlDbType.Uuid) { Value = jobId });
        batch.BatchCommands.Add(notify);
        await batch.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <inheritdoc/>
    public async Task<JobPart?> ClaimNextJobPartAsync(string runnerId, TimeSpan lease, Guid? jobId, CancellationToken cancellationToken)
    {
        // SKIP LOCKED: runners claiming at the same moment each take a different part.
        await using var command = dataSource.CreateCommand(PartRows.ClaimSql(jobId is not null, "FOR UPDATE OF q SKIP LOCKED"));
        Add(command, "runner", NpgsqlDbType.Text, runnerId);
        Add(command, "expires", NpgsqlDbType.TimestampTz, Now() + lease);
        if (jobId is { } job) Add(command, "job", NpgsqlDbType.Uuid, job);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? PartRows.ReadClaimed(reader, Columns) : null;
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<Guid>> RenewJobPartLeasesAsync(
        string runnerId, IReadOnlyCollection<Guid> partIds, TimeSpan lease, CancellationToken cancellationToken)
    {
        if (partIds.Count == 0) return [];
        await using var command = dataSource.CreateCommand(PartRows.RenewSql("id = ANY(@ids)"));
        Add(command, "expires", NpgsqlDbType.TimestampTz, Now() + lease);
        Add(command, "runner", NpgsqlDbType.Text, runnerId);
        Add(command, "ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid, partIds.ToArray());
        var held = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) held.Add(reader.GetGuid(0));
        return held;
    }

    /// <inheritdoc/>
    public async Task<bool> FinishJobPartAsync(Guid partId, string runnerId, JobPartResult result, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(PartRows.FinishSql);
        Add(command, "id", NpgsqlDbType.Uuid, partId);
        Add(command, "runner", NpgsqlDbType.Text, runnerId);
        Add(command, "code", NpgsqlDbType.Integer, result.ExitCode);
        Add(command, "report", NpgsqlDbType.Text, result.ReportJson);
        Add(command, "reason", NpgsqlDbType.Text, result.Reason);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <inheritdoc/>
    public async Task<bool> ReleaseJobPartAsync(Guid partId, string runnerId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(PartRows.ReleaseSql("GREATEST"));
        Add(command, "id", NpgsqlDbType.Uuid, partId);
        Add(command, "runner", NpgsqlDbType.Text, runnerId);
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 0) return false;
        await NotifyQueuedAsync(partId, cancellationToken);
        return true;
    }

    /// <summary>Wakes the runners of every host: a part is queued again.</summary>
    async Task NotifyQueuedAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var notify = dataSource.CreateCommand("SELECT pg_notify('ci_queued', @id::text);");
        Add(notify, "id", NpgsqlDbType.Uuid, id);
        await notify.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<JobPartState>> GetJobPartsAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(PartRows.ListSql);
        Add(command, "job", NpgsqlDbType.Uuid, jobId);
        return await ReadPartsAsync(command, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<JobPartState>> RecoverExpiredJobPartsAsync(int maxAttempts, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(PartRows.RecoverSql);
        Add(command, "max", NpgsqlDbType.Integer, maxAttempts);
        Add(command, "now", NpgsqlDbType.TimestampTz, Now());
        var recovered = await ReadPartsAsync(command, cancellationToken);
        foreach (var part in recovered.Where(part => part.Status == JobPartStatuses.Queued)) await NotifyQueuedAsync(part.JobId, cancellationToken);
        return recovered;
    }

    static async Task<IReadOnlyList<JobPartState>> ReadPartsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var parts = new List<JobPartState>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) parts.Add(PartRows.Read(reader, Columns));
        return parts;
    }
}
