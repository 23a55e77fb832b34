using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Ci.Core.Protocol;
using Microsoft.Data.Sqlite;

namespace Ci.Store.Sqlite;

public sealed partial class SqliteStore
{
    /// <inheritdoc/>
    public async Task<JobRecord> CreateJobAsync(Guid jobId, Guid userId, string uploadPath, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var job = new JobRecord(jobId, userId, JobStatus.Queued, Success: null, Now(), StartTime: null, EndTime: null, Reason: null);
        var stored = UploadPath(jobId);
        // File.Move falls back to copy + delete when the upload sits on another file system.
        File.Move(uploadPath, stored, overwrite: false);
        try
        {
            // Not cancellable once queued: the batch may commit the row, and then the upload must stay where it is.
            await jobInserts.InsertAsync(job);
        }
        catch
        {
            // No row, no custody: give the caller its file back so it can clean up as it would have.
            File.Move(stored, uploadPath, overwrite: true);
            throw;
        }
        return job;
    }

    /// <inheritdoc/>
    public async Task<JobRecord?> GetJobAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {JobRows.Columns} FROM jobs WHERE id = $id;";
        command.Parameters.AddWithValue("$id", Text(jobId));
        return await JobRows.ReadSingleAsync(command, Columns, cancellationToken);
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidCursorException">The cursor was not handed out by this store.</exception>
    public async Task<JobPage> ListJobsAsync(JobQuery query, CancellationToken cancellationToken)
    {
        JobRows.CheckLimit(query);
        var after = query.Cursor is null ? default((string CreatedAt, long RowId)?) : DecodeCursor(query.Cursor);

        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        // Keyset paging on (created_at, rowid): stable while new jobs arrive, unlike OFFSET.
        command.CommandText = $"""
            SELECT {JobRows.Columns}, rowid FROM jobs
            WHERE user_id = $user
              AND ($status IS NULL OR status = $status)
              AND ($branch IS NULL OR git_branch = $branch)
              AND ($afterCreated IS NULL OR created_at < $afterCreated OR (created_at = $afterCreated AND rowid < $afterRow))
            ORDER BY created_at DESC, rowid DESC
            LIMIT $take;
            """;
        command.Parameters.AddWithValue("$user", Text(query.UserId));
        command.Parameters.AddWithValue("$status", DbValue(query.Status?.ToWire()));
        command.Parameters.AddWithValue("$branch", DbValue(query.Branch));
        command.Parameters.AddWithValue("$afterCreated", DbValue(after?.CreatedAt));
        command.Parameters.AddWithValue("$afterRow", DbValue(after?.RowId));
        // One more than asked tells whether another page exists; -1 is SQLite for "no limit".
        command.Parameters.AddWithValue("$take", query.Limit is { } limit ? limit + 1L : -1L);

        return await JobRows.ReadPageAsync(command, query.Limit, Columns, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<JobRecord?> ClaimNextQueuedJobAsync(CancellationToken cancellationToken) =>
        ClaimAsync(runnerId: null, lease: null, maxRunningPerUser: 0, cancellationToken);

    /// <inheritdoc/>
    public Task<Stream?> OpenUploadAsync(Guid jobId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            Stream stream = new FileStream(UploadPath(jobId), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete,
                bufferSize: 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
            return Task.FromResult<Stream?>(stream);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    /// <inheritdoc/>
    public Task DeleteUploadAsync(Guid jobId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        File.Delete(UploadPath(jobId));
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public async Task<LogChunk> AppendLogAsync(Guid jobId, string text, CancellationToken cancellationToken)
    {
        await using var writer = await OpenWriterAsync(cancellationToken);
        var connection = writer.Connection;
        await using var command = connection.CreateCommand();
        // A write statement takes the write lock before it reads MAX(seq), so parallel appends for one job
        // serialize here and get consecutive numbers.
        command.CommandText = """
            INSERT INTO job_logs (job_id, seq, text)
            VALUES ($job, (SELECT COALESCE(MAX(seq), 0) + 1 FROM job_logs WHERE job_id = $job), $text)
            RETURNING seq;
            """;
        command.Parameters.AddWithValue("$job", Text(jobId));
        command.Parameters.AddWithValue("$text", text);
        var sequence = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        return new LogChunk(sequence, text);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<LogChunk>> AppendLogAsync(Guid jobId, IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        if (texts.Count == 0) return [];
        await using var writer = await OpenWriterAsync(cancellationToken);
        var connection = writer.Connection;
        // BEGIN IMMEDIATE: the write lock is taken before MAX(seq) is read, so the numbers stay consecutive.
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        long last;
        await using (var query = Command(connection, transaction, "SELECT COALESCE(MAX(seq), 0) FROM job_logs WHERE job_id = $job;"))
        {
            query.Parameters.AddWithValue("$job", Text(jobId));
            last = (long)(await query.ExecuteScalarAsync(cancellationToken))!;
        }
        var chunks = new LogChunk[texts.Count];
        await using (var insert = Command(connection, transaction, "INSERT INTO job_logs (job_id, seq, text) VALUES ($job, $seq, $text);"))
        {
            insert.Parameters.AddWithValue("$job", Text(jobId));
            var sequence = insert.Parameters.Add("$seq", SqliteType.Integer);
            var text = insert.Parameters.Add("$text", SqliteType.Text);
            for (var i = 0; i < texts.Count; i++)
            {
                sequence.Value = last + 1 + i;
                text.Value = texts[i];
                await insert.ExecuteNonQueryAsync(cancellationToken);
                chunks[i] = new LogChunk(last + 1 + i, texts[i]);
            }
        }
        await transaction.CommitAsync(cancellationToken);
        return chunks;
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<LogChunk> ReadLogAsync(
        Guid jobId, long afterSequence, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Pages, with the connection closed between them: a slow SSE client must not pin a connection and a
        // WAL snapshot (which stops checkpoints) for as long as it takes to read a long log.
        while (true)
        {
            var page = await ReadLogPageAsync(jobId, afterSequence, LogPageSize, cancellationToken);
            foreach (var chunk in page)
            {
                yield return chunk;
            }
            if (page.Count < LogPageSize)
            {
                yield break;
            }
            afterSequence = page[^1].Sequence;
        }
    }

    const int LogPageSize = 512;

    async Task<List<LogChunk>> ReadLogPageAsync(Guid jobId, long afterSequence, int take, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, text FROM job_logs WHERE job_id = $job AND seq > $after ORDER BY seq LIMIT $take;";
        command.Parameters.AddWithValue("$job", Text(jobId));
        command.Parameters.AddWithValue("$after", afterSequence);
        command.Parameters.AddWithValue("$take", take);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var page = new List<LogChunk>();
        while (await reader.ReadAsync(cancellationToken))
        {
            page.Add(new LogChunk(reader.GetInt64(0), reader.GetString(1)));
        }
        return page;
    }

    /// <inheritdoc/>
    public async Task<long> GetLastSequenceAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(seq), 0) FROM job_logs WHERE job_id = $job;";
        command.Parameters.AddWithValue("$job", Text(jobId));
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <inheritdoc/>
    public async Task<JobRecord?> FinishJobAsync(
        Guid jobId, JobStatus status, bool success, string? reason, CancellationToken cancellationToken)
    {
        if (!status.IsFinal())
        {
            throw new ArgumentOutOfRangeException(nameof(status), status, "A job can only be finished with a final status.");
        }
        await using var writer = await OpenWriterAsync(cancellationToken);
        var connection = writer.Connection;
        await using var command = connection.CreateCommand();
        // The status test in the WHERE makes the first of a cancel and a runner's finish win; the other gets null.
        command.CommandText = $"""
            UPDATE jobs SET status = $status, success = $success, reason = $reason, end_time = $now
            WHERE id = $id AND status IN ($queued, $running)
            RETURNING {JobRows.Columns};
            """;
        command.Parameters.AddWithValue("$id", Text(jobId));
        command.Parameters.AddWithValue("$status", status.ToWire());
        command.Parameters.AddWithValue("$success", success ? 1 : 0);
        command.Parameters.AddWithValue("$reason", DbValue(reason));
        command.Parameters.AddWithValue("$now", FormatTime(Now()));
        command.Parameters.AddWithValue("$queued", JobStatus.Queued.ToWire());
        command.Parameters.AddWithValue("$running", JobStatus.Running.ToWire());
        return await JobRows.ReadSingleAsync(command, Columns, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<Guid>> FailInterruptedJobsAsync(string reason, CancellationToken cancellationToken)
    {
        var logLine = reason.EndsWith('\n') ? reason : reason + "\n";
        await using var writer = await OpenWriterAsync(cancellationToken);
        var connection = writer.Connection;
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var ids = new List<Guid>();
        await using (var update = Command(connection, transaction, """
                UPDATE jobs SET status = $failed, success = 0, reason = $reason, end_time = $now
                WHERE status = $running
                RETURNING id;
                """))
        {
            update.Parameters.AddWithValue("$failed", JobStatus.Failed.ToWire());
            update.Parameters.AddWithValue("$running", JobStatus.Running.ToWire());
            update.Parameters.AddWithValue("$reason", reason);
            update.Parameters.AddWithValue("$now", FormatTime(Now()));
            await using var reader = await update.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(Columns.Guid(reader, 0));
            }
        }
        foreach (var id in ids)
            await AppendInTransactionAsync(connection, transaction, id, logLine, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return ids;
    }

    string UploadPath(Guid jobId) => Path.Combine(UploadsDirectory, Text(jobId) + ".zip");

    static (string CreatedAt, long RowId) DecodeCursor(string cursor)
    {
        var (createdAt, rowId) = JobCursor.Decode(cursor);
        return (FormatTime(createdAt), rowId);
    }
}
