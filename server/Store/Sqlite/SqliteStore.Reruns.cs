using Microsoft.Data.Sqlite;

namespace Ci.Store.Sqlite;

public sealed partial class SqliteStore : IJobRerunStore
{
    // Schema version 7: each job's test plan and tree hash (reruns, retries), flaky flags in reports.
    const string RerunsSchema = """
        CREATE TABLE IF NOT EXISTS job_test_plans (
            job_id      TEXT PRIMARY KEY NOT NULL,
            retries     INTEGER,
            only_tests  TEXT,
            tree_hash   TEXT,
            rerun_of    TEXT
        );
        CREATE INDEX IF NOT EXISTS job_test_plans_tree ON job_test_plans (tree_hash);
        ALTER TABLE test_reports ADD COLUMN flaky INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE test_cases ADD COLUMN flaky INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE test_cases ADD COLUMN attempts INTEGER;
        """;

    /// <inheritdoc/>
    public async Task SaveTestPlanAsync(Guid jobId, JobTestPlan plan, CancellationToken cancellationToken)
    {
        await using var writer = await OpenWriterAsync(cancellationToken);
        await using var command = writer.Connection.CreateCommand();
        command.CommandText = """
            INSERT OR REPLACE INTO job_test_plans (job_id, retries, only_tests, tree_hash, rerun_of)
            VALUES (@job, @retries, @only, @hash, @rerunOf);
            """;
        command.Parameters.AddWithValue("@job", Text(jobId));
        command.Parameters.AddWithValue("@retries", DbValue(plan.Retries));
        command.Parameters.AddWithValue("@only", DbValue(RerunRows.OnlyTestsText(plan)));
        command.Parameters.AddWithValue("@hash", DbValue(plan.TreeHash));
        command.Parameters.AddWithValue("@rerunOf", DbValue(plan.RerunOf is { } of ? Text(of) : null));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<JobTestPlan> GetTestPlanAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = RerunRows.PlanSql;
        command.Parameters.AddWithValue("@job", Text(jobId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? RerunRows.ReadPlan(reader, Columns) : JobTestPlan.None;
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<FlakyTest>> ListFlakyTestsAsync(Guid userId, DateTime since, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: true);
        SqliteCommand Query(string sql)
        {
            var command = Command(connection, transaction, sql);
            command.Parameters.AddWithValue("@user", Text(userId));
            command.Parameters.AddWithValue("@since", FormatTime(since));
            return command;
        }
        await using var flaky = Query(RerunRows.FlakySql("1"));
        await using var lastJobs = Query(RerunRows.LastJobSql("1"));
        return await RerunRows.ReadFlakyAsync(flaky, lastJobs, Columns, limit, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<int> DeleteExpiredUploadsAsync(DateTime endedBefore, int batch, CancellationToken cancellationToken)
    {
        // Uploads are files named by job: the kept ones are few (bounded by the retention), so listing them is cheap.
        var kept = new List<Guid>();
        foreach (var path in Directory.EnumerateFiles(UploadsDirectory, "*.zip"))
        {
            if (Guid.TryParseExact(Path.GetFileNameWithoutExtension(path), "D", out var id)) kept.Add(id);
        }
        var deleted = 0;
        await using var connection = await OpenConnectionAsync(cancellationToken);
        foreach (var id in kept)
        {
            if (deleted >= batch) break;
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1 FROM jobs WHERE id = @id AND end_time IS NOT NULL AND end_time < @before;";
            command.Parameters.AddWithValue("@id", Text(id));
            command.Parameters.AddWithValue("@before", FormatTime(endedBefore));
            if (await command.ExecuteScalarAsync(cancellationToken) is null) continue;
            File.Delete(UploadPath(id));
            deleted++;
        }
        return deleted;
    }
}
