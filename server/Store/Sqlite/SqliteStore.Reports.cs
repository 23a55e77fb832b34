using System.Globalization;
using System.Text;
using Ci.Core.Protocol;
using Microsoft.Data.Sqlite;

namespace Ci.Store.Sqlite;

public sealed partial class SqliteStore : ITestReportStore
{
    // Schema version 2: test reports. The counts live in their own row so that job lists read them without
    // touching the (possibly thousands of) test rows.
    const string TestReportsSchema = """
        CREATE TABLE IF NOT EXISTS test_reports (
            job_id     TEXT PRIMARY KEY NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            passed     INTEGER NOT NULL,
            failed     INTEGER NOT NULL,
            skipped    INTEGER NOT NULL,
            duration   REAL NOT NULL,
            truncated  INTEGER NOT NULL
        );

        CREATE TABLE IF NOT EXISTS test_cases (
            job_id   TEXT NOT NULL REFERENCES test_reports (job_id) ON DELETE CASCADE,
            seq      INTEGER NOT NULL,
            name     TEXT NOT NULL,
            outcome  TEXT NOT NULL,
            time     REAL NOT NULL,
            message  TEXT,
            PRIMARY KEY (job_id, seq)
        ) WITHOUT ROWID;
        """;

    /// <inheritdoc/>
    public async Task SaveTestReportAsync(Guid jobId, TestReport report, CancellationToken cancellationToken)
    {
        await using var writer = await OpenWriterAsync(cancellationToken);
        var connection = writer.Connection;
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        // Deleting the report row cascades to its tests.
        await using (var command = Command(connection, transaction, """
                DELETE FROM test_reports WHERE job_id = $job;
                INSERT INTO test_reports (job_id, passed, failed, skipped, duration, truncated, flaky)
                VALUES ($job, $passed, $failed, $skipped, $duration, $truncated, $flaky);
                """))
        {
            command.Parameters.AddWithValue("$job", Text(jobId));
            command.Parameters.AddWithValue("$passed", report.Passed);
            command.Parameters.AddWithValue("$failed", report.Failed);
            command.Parameters.AddWithValue("$skipped", report.Skipped);
            command.Parameters.AddWithValue("$duration", report.DurationSeconds);
            command.Parameters.AddWithValue("$truncated", report.Truncated ? 1 : 0);
            command.Parameters.AddWithValue("$flaky", report.Flaky);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var insert = Command(connection, transaction, "INSERT INTO test_cases (job_id, seq, name, outcome, time, message, flaky, attempts) VALUES ($job, $seq, $name, $outcome, $time, $message, $flaky, $attempts);"))
        {
            insert.Parameters.AddWithValue("$job", Text(jobId));
            var seq = insert.Parameters.Add("$seq", SqliteType.Integer);
            var name = insert.Parameters.Add("$name", SqliteType.Text);
            var outcome = insert.Parameters.Add("$outcome", SqliteType.Text);
            var time = insert.Parameters.Add("$time", SqliteType.Real);
            var message = insert.Parameters.Add("$message", SqliteType.Text);
            var flaky = insert.Parameters.Add("$flaky", SqliteType.Integer);
            var attempts = insert.Parameters.Add("$attempts", SqliteType.Integer);
            await insert.PrepareAsync(cancellationToken);
            for (var i = 0; i < report.Tests.Count; i++)
            {
                var test = report.Tests[i];
                seq.Value = i + 1;
                name.Value = test.Name;
                outcome.Value = TestOutcomeNames.Name(test.Outcome);
                time.Value = test.TimeSeconds;
                message.Value = DbValue(test.Message);
                flaky.Value = test.Flaky ? 1 : 0;
                attempts.Value = DbValue(test.Attempts);
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        await transaction.CommitAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<TestReport?> GetTestReportAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        // A read transaction: one snapshot for both queries.
        await using var transaction = connection.BeginTransaction(deferred: true);
        return await TestReportRows.ReadAsync(sql =>
        {
            var command = Command(connection, transaction, sql);
            command.Parameters.AddWithValue("@job", Text(jobId));
            return command;
        }, Columns, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyDictionary<Guid, TestCounts>> GetTestCountsAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<Guid, TestCounts>();
        if (jobIds.Count == 0) return counts;
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        // A page is at most 1000 jobs, under SQLite's limit of 32766 parameters.
        var names = new StringBuilder();
        var index = 0;
        foreach (var id in jobIds)
        {
            var parameter = "$j" + index.ToString(CultureInfo.InvariantCulture);
            names.Append(index++ == 0 ? "" : ", ").Append(parameter);
            command.Parameters.AddWithValue(parameter, Text(id));
        }
        command.CommandText = $"SELECT job_id, passed, failed, skipped FROM test_reports WHERE job_id IN ({names});";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[Columns.Guid(reader, 0)] = new TestCounts(reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3));
        }
        return counts;
    }
}
