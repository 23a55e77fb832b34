using Ci.Core.Protocol;
using Npgsql;
using NpgsqlTypes;

namespace Ci.Store.Postgres;

// Test reports, web sessions and job statistics: the same contracts as SqliteStore's, on PostgreSQL.
public sealed partial class PostgresStore : ITestReportStore
{
    /// <inheritdoc/>
    public async Task SaveTestReportAsync(Guid jobId, TestReport report, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand("""
            DELETE FROM test_reports WHERE job_id = @job;
            INSERT INTO test_reports (job_id, passed, failed, skipped, duration, truncated, flaky)
            VALUES (@job, @passed, @failed, @skipped, @duration, @truncated, @flaky);
            """, connection, transaction))
        {
            Add(command, "job", NpgsqlDbType.Uuid, jobId);
            Add(command, "passed", NpgsqlDbType.Integer, report.Passed);
            Add(command, "failed", NpgsqlDbType.Integer, report.Failed);
            Add(command, "skipped", NpgsqlDbType.Integer, report.Skipped);
            Add(command, "duration", NpgsqlDbType.Double, report.DurationSeconds);
            Add(command, "truncated", NpgsqlDbType.Boolean, report.Truncated);
            Add(command, "flaky", NpgsqlDbType.Integer, report.Flaky);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        if (report.Tests.Count > 0)
        {
            // One batch: thousands of tests cost one round trip, not thousands.
            await using var batch = new NpgsqlBatch(connection, transaction);
            for (var i = 0; i < report.Tests.Count; i++)
            {
                var test = report.Tests[i];
                var insert = new NpgsqlBatchCommand("INSERT INTO test_cases (job_id, seq, name, outcome, time, message, flaky, attempts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8);");
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid, Value = jobId });
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer, Value = i + 1 });
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = test.Name });
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = TestOutcomeNames.Name(test.Outcome) });
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Double, Value = test.TimeSeconds });
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)test.Message ?? DBNull.Value });
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Boolean, Value = test.Flaky });
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer, Value = (object?)test.Attempts ?? DBNull.Value });
                batch.BatchCommands.Add(insert);
            }
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<TestReport?> GetTestReportAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // Repeatable read: one snapshot for both queries.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        return await TestReportRows.ReadAsync(sql =>
        {
            var command = new NpgsqlCommand(sql, connection, transaction);
            Add(command, "job", NpgsqlDbType.Uuid, jobId);
            return command;
        }, Columns, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyDictionary<Guid, TestCounts>> GetTestCountsAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<Guid, TestCounts>();
        if (jobIds.Count == 0) return counts;
        await using var command = dataSource.CreateCommand("SELECT job_id, passed, failed, skipped FROM test_reports WHERE job_id = ANY(@ids);");
        Add(command, "ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid, jobIds.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            counts[reader.GetGuid(0)] = new TestCounts(reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3));
        return counts;
    }
}
