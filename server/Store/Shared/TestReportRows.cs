using System.Data.Common;
using Ci.Core.Protocol;

namespace Ci.Store;

/// <summary>Reading a job's test report from either store: its counts row, then its tests in order.</summary>
static class TestReportRows
{
    const string CountsSql = "SELECT passed, failed, skipped, duration, truncated, flaky FROM test_reports WHERE job_id = @job;";
    const string TestsSql = "SELECT name, outcome, time, message, flaky, attempts FROM test_cases WHERE job_id = @job ORDER BY seq;";

    /// <summary>
    /// Reads the report, or null when the job has none. <paramref name="command"/> makes a command for the given SQL with
    /// <c>@job</c> bound, inside one snapshot: a report replaced meanwhile must not mix counts of one with tests of the other.
    /// </summary>
    public static async Task<TestReport?> ReadAsync(Func<string, DbCommand> command, StoreColumns columns, CancellationToken cancellationToken)
    {
        int passed, failed, skipped, flaky;
        double duration;
        bool truncated;
        await using (var counts = command(CountsSql))
        await using (var reader = await counts.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
                return null;
            (passed, failed, skipped, duration, truncated, flaky) =
                (reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetDouble(3), columns.Flag(reader, 4), reader.GetInt32(5));
        }
        var tests = new List<TestCaseResult>();
        await using (var cases = command(TestsSql))
        await using (var reader = await cases.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                tests.Add(new TestCaseResult(
                    reader.GetString(0), TestOutcomeNames.Parse(reader.GetString(1)), reader.GetDouble(2), reader.IsDBNull(3) ? null : reader.GetString(3))
                {
                    Flaky = columns.Flag(reader, 4),
                    Attempts = reader.IsDBNull(5) ? null : reader.GetInt32(5),
                });
            }
        }
        return new TestReport(passed, failed, skipped, duration, truncated, tests) { Flaky = flaky };
    }
}
