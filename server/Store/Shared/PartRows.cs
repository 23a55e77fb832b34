using System.Data.Common;

namespace Ci.Store;

/// <summary>The SQL of <see cref="IJobParts"/> that both stores share, and how its rows read.</summary>
static class PartRows
{
    // Unqualified: SQLite's RETURNING cannot name an alias of the updated table.
    const string Columns = "id, job_id, number, count, status, runner_id, attempts, exit_code, report, reason";

    /// <summary>The part belongs to the current run of a running job (the only parts anyone may take, renew or end).</summary>
    const string OfCurrentRun = """
        EXISTS (SELECT 1 FROM jobs j WHERE j.id = job_parts.job_id AND j.status = 'running' AND j.attempts = job_parts.job_attempt)
        """;

    /// <summary>The next queued part of a running job's current run, oldest job first; <paramref name="lockClause"/> is PostgreSQL's SKIP LOCKED.</summary>
    public static string NextQueuedSql(bool ofOneJob, string lockClause) => $"""
        SELECT q.id FROM job_parts q JOIN jobs j ON j.id = q.job_id
        WHERE q.status = 'queued' AND j.status = 'running' AND j.attempts = q.job_attempt{(ofOneJob ? " AND q.job_id = @job" : "")}
        ORDER BY j.start_time, q.number
        LIMIT 1 {lockClause}
        """;

    public static string ClaimSql(bool ofOneJob, string lockClause) => $"""
        UPDATE job_parts SET status = 'running', runner_id = @runner, lease_expires_at = @expires, attempts = attempts + 1
        WHERE id = ({NextQueuedSql(ofOneJob, lockClause)}) AND status = 'queued'
        RETURNING id, job_id, number, count, tests, attempts;
        """;

    public static string RenewSql(string idsCondition) => $"""
        UPDATE job_parts SET lease_expires_at = @expires
        WHERE runner_id = @runner AND status = 'running' AND {idsCondition} AND {OfCurrentRun}
        RETURNING id;
        """;

    public const string FinishSql = $"""
        UPDATE job_parts SET status = 'done', exit_code = @code, report = @report, reason = @reason, lease_expires_at = NULL
        WHERE id = @id AND runner_id = @runner AND status = 'running' AND {OfCurrentRun};
        """;

    public static string ReleaseSql(string greatest) => $"""
        UPDATE job_parts SET status = 'queued', runner_id = NULL, lease_expires_at = NULL, attempts = {greatest}(attempts - 1, 0)
        WHERE id = @id AND runner_id = @runner AND status = 'running' AND {OfCurrentRun};
        """;

    public const string ListSql = $"""
        SELECT {Columns} FROM job_parts
        WHERE job_id = @job AND job_attempt = (SELECT attempts FROM jobs WHERE id = @job)
        ORDER BY number;
        """;

    public const string RecoverSql = $"""
        UPDATE job_parts SET status = CASE WHEN attempts < @max THEN 'queued' ELSE 'done' END, runner_id = NULL, lease_expires_at = NULL
        WHERE status = 'running' AND lease_expires_at < @now AND {OfCurrentRun}
        RETURNING {Columns};
        """;

    public const string DeleteSql = "DELETE FROM job_parts WHERE job_id = @job;";

    public const string InsertSql = """
        INSERT INTO job_parts (id, job_id, number, count, tests, job_attempt, status, attempts)
        VALUES (@id, @job, @number, @count, @tests, @attempt, 'queued', 0);
        """;

    public const string RunningAttemptSql = "SELECT attempts FROM jobs WHERE id = @job AND status = 'running';";

    public static string TestsText(IReadOnlyList<string> testIds) => string.Join(JobTestPlan.IdSeparator, testIds);

    public static JobPart ReadClaimed(DbDataReader reader, StoreColumns columns) => new(
        columns.Guid(reader, 0), columns.Guid(reader, 1), reader.GetInt32(2), reader.GetInt32(3),
        reader.GetString(4).Split(JobTestPlan.IdSeparator, StringSplitOptions.RemoveEmptyEntries), reader.GetInt32(5));

    public static JobPartState Read(DbDataReader reader, StoreColumns columns)
    {
        var status = reader.GetString(4);
        var result = status == JobPartStatuses.Done && !reader.IsDBNull(7)
            ? new JobPartResult(reader.GetInt32(7), reader.IsDBNull(8) ? null : reader.GetString(8), reader.IsDBNull(9) ? null : reader.GetString(9))
            : null;
        return new JobPartState(columns.Guid(reader, 0), columns.Guid(reader, 1), reader.GetInt32(2), reader.GetInt32(3), status,
            reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetInt32(6), result);
    }
}
