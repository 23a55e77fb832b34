using System.Runtime.CompilerServices;
using Ci.Core.Protocol;
using Npgsql;
using NpgsqlTypes;

namespace Ci.Store.Postgres;

public sealed partial class PostgresStore
{
    /// <summary>Uploads are stored in parts of this size: no single value is huge, and reading back streams.</summary>
    internal const int UploadPartBytes = 1024 * 1024;

    /// <inheritdoc/>
    public async Task<JobRecord> CreateJobAsync(Guid jobId, Guid userId, string uploadPath, CancellationToken cancellationToken)
    {
        var job = new JobRecord(jobId, userId, JobStatus.Queued, Success: null, Now(), StartTime: null, EndTime: null, Reason: null);
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await InsertJobAsync(connection, transaction, job, uploadPath, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        // In custody now: the file's bytes are in the database.
        File.Delete(uploadPath);
        return job;
    }

    /// <summary>Inserts a queued job and its upload, and notifies the queue, in <paramref name="transaction"/>.</summary>
    async Task InsertJobAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, JobRecord job, string uploadPath, CancellationToken cancellationToken)
    {
        var jobId = job.Id;
        var userId = job.UserId;
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO jobs (id, user_id, status, created_at) VALUES (@id, @user, @status, @created);", connection, transaction))
        {
            Add(insert, "id", NpgsqlDbType.Uuid, jobId);
            Add(insert, "user", NpgsqlDbType.Uuid, userId);
            Add(insert, "status", NpgsqlDbType.Text, JobStatus.Queued.ToWire());
            Add(insert, "created", NpgsqlDbType.TimestampTz, job.CreatedAt);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        // The upload lives in the database, so a runner on any host can read it (never from this host's disk).
        await using (var file = new FileStream(uploadPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
        await using (var part = new NpgsqlCommand("INSERT INTO job_uploads (job_id, part, data) VALUES (@job, @part, @data);", connection, transaction))
        {
            Add(part, "job", NpgsqlDbType.Uuid, jobId);
            var number = new NpgsqlParameter<int>("part", NpgsqlDbType.Integer);
            var data = new NpgsqlParameter<byte[]>("data", NpgsqlDbType.Bytea);
            part.Parameters.Add(number);
            part.Parameters.Add(data);
            var buffer = new byte[UploadPartBytes];
            for (var index = 0; ; index++)
            {
                var length = await file.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
                if (length == 0 && index > 0) break;
                number.TypedValue = index;
                data.TypedValue = buffer[..length];
                await part.ExecuteNonQueryAsync(cancellationToken);
                if (length < buffer.Length) break;
            }
        }
        await using (var notify = new NpgsqlCommand("SELECT pg_notify('ci_queued', @id::text);", connection, transaction))
        {
            Add(notify, "id", NpgsqlDbType.Uuid, jobId);
            await notify.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <inheritdoc/>
    public async Task<JobRecord?> GetJobAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {JobRows.Columns} FROM jobs WHERE id = @id;");
        Add(command, "id", NpgsqlDbType.Uuid, jobId);
        return await JobRows.ReadSingleAsync(command, Columns, cancellationToken);
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidCursorException">The cursor was not handed out by this store.</exception>
    public async Task<JobPage> ListJobsAsync(JobQuery query, CancellationToken cancellationToken)
    {
        JobRows.CheckLimit(query);
        var after = query.Cursor is null ? default((DateTime CreatedAt, long RowNumber)?) : JobCursor.Decode(query.Cursor);
        await using var command = dataSource.CreateCommand($"""
            SELECT {JobRows.Columns}, row_no FROM jobs
            WHERE user_id = @user
              AND (@status::text IS NULL OR status = @status)
              AND (@branch::text IS NULL OR git_branch = @branch)
              AND (@afterCreated::timestamptz IS NULL OR (created_at, row_no) < (@afterCreated, @afterRow))
            ORDER BY created_at DESC, row_no DESC
            LIMIT @take;
            """);
        Add(command, "user", NpgsqlDbType.Uuid, query.UserId);
        Add(command, "status", NpgsqlDbType.Text, query.Status?.ToWire());
        Add(command, "branch", NpgsqlDbType.Text, query.Branch);
        Add(command, "afterCreated", NpgsqlDbType.TimestampTz, after?.CreatedAt);
        Add(command, "afterRow", NpgsqlDbType.Bigint, after?.RowNumber ?? 0);
        // One more than asked tells whether another page exists; NULL is no limit.
        Add(command, "take", NpgsqlDbType.Bigint, query.Limit is { } limit ? limit + 1L : null);

        return await JobRows.ReadPageAsync(command, query.Limit, Columns, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<JobRecord?> ClaimNextQueuedJobAsync(CancellationToken cancellationToken) =>
        ClaimAsync(runnerId: null, lease: null, maxRunningPerUser: 0, cancellationToken);

    /// <inheritdoc/>
    public async Task<Stream?> OpenUploadAsync(Guid jobId, CancellationToken cancellationToken)
    {
        // Copied part by part into a private temp file that vanishes when closed: memory stays flat whatever the
        // upload's size, and the extractor gets the seekable stream a zip needs.
        var path = Path.Combine(Path.GetTempPath(), $"ci-upload-{jobId:N}-{Guid.NewGuid():N}.zip");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Options = FileOptions.DeleteOnClose | FileOptions.Asynchronous,
        };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var file = new FileStream(path, options);
        try
        {
            var parts = 0;
            for (var index = 0; ; index++)
            {
                await using var command = dataSource.CreateCommand("SELECT data FROM job_uploads WHERE job_id = @job AND part = @part;");
                Add(command, "job", NpgsqlDbType.Uuid, jobId);
                Add(command, "part", NpgsqlDbType.Integer, index);
                await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken);
                if (!await reader.ReadAsync(cancellationToken)) break;
                await using (var data = await reader.GetStreamAsync(0, cancellationToken))
                {
                    await data.CopyToAsync(file, cancellationToken);
                }
                parts++;
            }
            if (parts == 0)
            {
                await file.DisposeAsync();
                return null;
            }
            file.Position = 0;
            return file;
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    /// <inheritdoc/>
    public async Task DeleteUploadAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM job_uploads WHERE job_id = @job;");
        Add(command, "job", NpgsqlDbType.Uuid, jobId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<LogChunk> AppendLogAsync(Guid jobId, string text, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(AppendSql);
        Add(command, "job", NpgsqlDbType.Uuid, jobId);
        Add(command, "text", NpgsqlDbType.Text, text);
        var sequence = await command.ExecuteScalarAsync(cancellationToken)
            ?? throw new InvalidOperationException($"Job {jobId} does not exist.");
        return new LogChunk((long)sequence, text);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<LogChunk>> AppendLogAsync(Guid jobId, IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        if (texts.Count == 0) return [];
        // One round trip; a batch without an explicit transaction runs as one implicit transaction (all or none),
        // and each chunk's NOTIFY goes out at its commit, in order.
        await using var batch = dataSource.CreateBatch();
        foreach (var text in texts)
        {
            var command = new NpgsqlBatchCommand(AppendSql);
            command.Parameters.Add(new NpgsqlParameter("job", NpgsqlDbType.Uuid) { Value = jobId });
            command.Parameters.Add(new NpgsqlParameter("text", NpgsqlDbType.Text) { Value = text });
            batch.BatchCommands.Add(command);
        }
        var chunks = new LogChunk[texts.Count];
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        for (var i = 0; i < texts.Count; i++)
        {
            if (i > 0) await reader.NextResultAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken)) throw new InvalidOperationException($"Job {jobId} does not exist.");
            chunks[i] = new LogChunk(reader.GetInt64(0), texts[i]);
        }
        return chunks;
    }

    // The job row's counter hands out sequence numbers (its row lock orders parallel appends of one job); the
    // NOTIFY is delivered to every listening replica when this statement commits. NOTIFY payloads must stay under
    // 8000 bytes: longer chunks are announced without their text (listeners read it from the table).
    const string AppendSql = """
        WITH next AS (
            UPDATE jobs SET log_seq = log_seq + 1 WHERE id = @job RETURNING log_seq
        ), appended AS (
            INSERT INTO job_logs (job_id, seq, text) SELECT @job, log_seq, @text FROM next RETURNING seq
        )
        SELECT seq, pg_notify('ci_log', @job::text || ' ' || seq::text
            || CASE WHEN octet_length(@text) <= 7000 THEN ' ' || @text ELSE '' END)
        FROM appended;
        """;

    /// <inheritdoc/>
    public async IAsyncEnumerable<LogChunk> ReadLogAsync(
        Guid jobId, long afterSequence, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Pages: a slow SSE client must not pin a pooled connection for as long as it takes to read a long log.
        while (true)
        {
            var page = new List<LogChunk>(LogPageSize);
            await using (var command = dataSource.CreateCommand("SELECT seq, text FROM job_logs WHERE job_id = @job AND seq > @after ORDER BY seq LIMIT @take;"))
            {
                Add(command, "job", NpgsqlDbType.Uuid, jobId);
                Add(command, "after", NpgsqlDbType.Bigint, afterSequence);
                Add(command, "take", NpgsqlDbType.Integer, LogPageSize);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken)) page.Add(new LogChunk(reader.GetInt64(0), reader.GetString(1)));
            }
            foreach (var chunk in page) yield return chunk;
            if (page.Count < LogPageSize) yield break;
            afterSequence = page[^1].Sequence;
        }
    }

    const int LogPageSize = 512;

    /// <inheritdoc/>
    public async Task<long> GetLastSequenceAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT COALESCE(MAX(seq), 0) FROM job_logs WHERE job_id = @job;");
        Add(command, "job", NpgsqlDbType.Uuid, jobId);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <inheritdoc/>
    public Task<JobRecord?> FinishJobAsync(Guid jobId, JobStatus status, bool success, string? reason, CancellationToken cancellationToken) =>
        FinishAsync(jobId, runnerId: null, status, success, reason, cancellationToken);

    /// <inheritdoc/>
    public Task<JobRecord?> FinishHeldJobAsync(Guid jobId, string runnerId, JobStatus status, bool success, string? reason, CancellationToken cancellationToken) =>
        FinishAsync(jobId, runnerId, status, success, reason, cancellationToken);

    async Task<JobRecord?> FinishAsync(Guid jobId, string? runnerId, JobStatus status, bool success, string? reason, CancellationToken cancellationToken)
    {
        if (!status.IsFinal())
        {
            throw new ArgumentOutOfRangeException(nameof(status), status, "A job can only be finished with a final status.");
        }
        // The status test makes the first of a cancel and a runner's finish win; the other gets null. With a runner
        // id, only the lease holder may finish. The NOTIFY tells every replica's watchers, and the holder's runner
        // when it is a cancel.
        await using var command = dataSource.CreateCommand($"""
            WITH ended AS (
                UPDATE jobs SET status = @status, success = @success, reason = @reason, end_time = @now, lease_expires_at = NULL
                WHERE id = @id AND (@runner::text IS NULL AND status IN ('queued', 'running')
                                    OR status = 'running' AND runner_id = @runner)
                RETURNING {JobRows.Columns}
            )
            SELECT {JobRows.Columns}, pg_notify('ci_job', id::text || ' ' || status) FROM ended;
            """);
        Add(command, "id", NpgsqlDbType.Uuid, jobId);
        Add(command, "runner", NpgsqlDbType.Text, runnerId);
        Add(command, "status", NpgsqlDbType.Text, status.ToWire());
        Add(command, "success", NpgsqlDbType.Boolean, success);
        Add(command, "reason", NpgsqlDbType.Text, reason);
        Add(command, "now", NpgsqlDbType.TimestampTz, Now());
        return await JobRows.ReadSingleAsync(command, Columns, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<Guid>> FailInterruptedJobsAsync(string reason, CancellationToken cancellationToken)
    {
        // Only jobs claimed without a lease: leased ones belong to runners that may be alive on other hosts, and
        // RecoverExpiredLeasesAsync takes care of them when they are not.
        var ended = await EndJobsAsync("""
            UPDATE jobs SET status = 'failed', success = false, reason = @reason, end_time = @now
            WHERE status = 'running' AND lease_expires_at IS NULL
            RETURNING {0}
            """, reason, reason, 0, cancellationToken);
        return ended.Select(e => e.Job.Id).ToList();
    }

    /// <summary>
    /// Runs an UPDATE (<c>{0}</c> is the returned columns) and appends a line to each job it changed, in one
    /// transaction; announces the queued and ended ones.
    /// </summary>
    async Task<List<RecoveredJob>> EndJobsAsync(string updateSql, string requeuedLine, string failedLine, int maxAttempts, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var jobs = new List<RecoveredJob>();
        await using (var update = new NpgsqlCommand(string.Format(System.Globalization.CultureInfo.InvariantCulture, updateSql, JobRows.Columns), connection, transaction))
        {
            Add(update, "reason", NpgsqlDbType.Text, failedLine);
            Add(update, "now", NpgsqlDbType.TimestampTz, Now());
            Add(update, "max", NpgsqlDbType.Integer, maxAttempts);
            await using var reader = await update.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var job = JobRows.Read(reader, Columns);
                jobs.Add(new RecoveredJob(job, job.Status == JobStatus.Queued));
            }
        }
        foreach (var job in jobs)
        {
            var line = job.Requeued ? requeuedLine : failedLine;
            await using var append = new NpgsqlCommand(AppendSql, connection, transaction);
            Add(append, "job", NpgsqlDbType.Uuid, job.Job.Id);
            Add(append, "text", NpgsqlDbType.Text, line.EndsWith('\n') ? line : line + "\n");
            await append.ExecuteNonQueryAsync(cancellationToken);
            await using var notify = new NpgsqlCommand(
                job.Requeued ? "SELECT pg_notify('ci_queued', @id::text);" : "SELECT pg_notify('ci_job', @id::text || ' ' || @status);",
                connection, transaction);
            Add(notify, "id", NpgsqlDbType.Uuid, job.Job.Id);
            Add(notify, "status", NpgsqlDbType.Text, job.Job.Status.ToWire());
            await notify.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return jobs;
    }
}
