using Npgsql;
using NpgsqlTypes;

namespace Ci.Store.Postgres;

// Reruns, retries and flaky tests: the same contract as SqliteStore's, on PostgreSQL.
public sealed partial class PostgresStore : IJobRerunStore
{
    /// <inheritdoc/>
    public async Task SaveTestPlanAsync(Guid jobId, JobTestPlan plan, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO job_test_plans (job_id, retries, only_tests, tree_hash, rerun_of) VALUES (@job, @retries, @only, @hash, @rerunOf)
            ON CONFLICT (job_id) DO UPDATE SET retries = EXCLUDED.retries, only_tests = EXCLUDED.only_tests,
                tree_hash = EXCLUDED.tree_hash, rerun_of = EXCLUDED.rerun_of;
            """);
        Add(command, "job", NpgsqlDbType.Uuid, jobId);
        Add(command, "retries", NpgsqlDbType.Integer, plan.Retries);
        Add(command, "only", NpgsqlDbType.Text, RerunRows.OnlyTestsText(plan));
        Add(command, "hash", NpgsqlDbType.Text, plan.TreeHash);
        Add(command, "rerunOf", NpgsqlDbType.Uuid, plan.RerunOf);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<JobTestPlan> GetTestPlanAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(RerunRows.PlanSql);
        Add(command, "job", NpgsqlDbType.Uuid, jobId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? RerunRows.ReadPlan(reader, Columns) : JobTestPlan.None;
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<FlakyTest>> ListFlakyTestsAsync(Guid userId, DateTime since, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        NpgsqlCommand Query(string sql)
        {
            var command = new NpgsqlCommand(sql, connection, transaction);
            Add(command, "user", NpgsqlDbType.Uuid, userId);
            Add(command, "since", NpgsqlDbType.TimestampTz, since);
            return command;
        }
        await using var flaky = Query(RerunRows.FlakySql("true"));
        await using var lastJobs = Query(RerunRows.LastJobSql("true"));
        return await RerunRows.ReadFlakyAsync(flaky, lastJobs, Columns, limit, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<int> DeleteExpiredUploadsAsync(DateTime endedBefore, int batch, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            DELETE FROM job_uploads WHERE job_id IN (
                SELECT u.job_id FROM job_uploads u JOIN jobs j ON j.id = u.job_id
                WHERE u.part = 0 AND j.end_time IS NOT NULL AND j.end_time < @before LIMIT @batch)
            RETURNING part;
            """);
        Add(command, "before", NpgsqlDbType.TimestampTz, endedBefore);
        Add(command, "batch", NpgsqlDbType.Integer, batch);
        var jobs = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.GetInt32(0) == 0) jobs++;
        }
        return jobs;
    }
}
