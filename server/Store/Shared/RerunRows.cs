using System.Globalization;
using System.Data.Common;

namespace Ci.Store;

/// <summary>The SQL of <see cref="IJobRerunStore"/> that both stores share, and how its rows read.</summary>
static class RerunRows
{
    public const string PlanSql = "SELECT retries, only_tests, tree_hash, rerun_of FROM job_test_plans WHERE job_id = @job;";

    /// <summary>
    /// Tests flagged flaky by a retry, then tests that failed in one job and passed in another of the same user on the
    /// same tree hash: (name, jobs, newest submission, newest job, same tree). <paramref name="yes"/> is the dialect's true.
    /// </summary>
    public static string FlakySql(string yes) => $"""
        SELECT c.name, COUNT(*), MAX(j.created_at), 0 FROM test_cases c JOIN jobs j ON j.id = c.job_id
        WHERE j.user_id = @user AND j.created_at >= @since AND c.flaky = {yes}
        GROUP BY c.name
        UNION ALL
        SELECT f.name, COUNT(DISTINCT f.job_id), MAX(jf.created_at), 1
        FROM jobs jf
        JOIN job_test_plans pf ON pf.job_id = jf.id AND pf.tree_hash IS NOT NULL
        JOIN test_cases f ON f.job_id = jf.id AND f.outcome IN ('failed', 'error')
        WHERE jf.user_id = @user AND jf.created_at >= @since AND EXISTS (
            SELECT 1 FROM job_test_plans pp JOIN jobs jp ON jp.id = pp.job_id
            JOIN test_cases p ON p.job_id = pp.job_id AND p.name = f.name AND p.outcome = 'passed'
            WHERE pp.tree_hash = pf.tree_hash AND pp.job_id <> pf.job_id AND jp.user_id = jf.user_id)
        GROUP BY f.name;
        """;

    /// <summary>Jobs with flaky or failed tests, newest first: gives each listed test its newest job without a window function.</summary>
    public static string LastJobSql(string yes) => $"""
        SELECT c.name, j.id, j.created_at FROM test_cases c JOIN jobs j ON j.id = c.job_id
        WHERE j.user_id = @user AND j.created_at >= @since AND (c.flaky = {yes} OR c.outcome IN ('failed', 'error'))
        ORDER BY j.created_at DESC;
        """;

    public static JobTestPlan ReadPlan(DbDataReader reader, StoreColumns columns) => new(
        reader.IsDBNull(0) ? null : reader.GetInt32(0),
        reader.IsDBNull(1) ? null : reader.GetString(1).Split(JobTestPlan.IdSeparator, StringSplitOptions.RemoveEmptyEntries),
        reader.IsDBNull(2) ? null : reader.GetString(2),
        reader.IsDBNull(3) ? null : columns.Guid(reader, 3));

    public static string? OnlyTestsText(JobTestPlan plan) => plan.OnlyTests is { } ids ? string.Join(JobTestPlan.IdSeparator, ids) : null;

    /// <summary>Merges the two kinds of rows by test name, newest first, at most <paramref name="limit"/>.</summary>
    public static async Task<IReadOnlyList<FlakyTest>> ReadFlakyAsync(DbCommand flaky, DbCommand lastJobs, StoreColumns columns, int limit,
        CancellationToken cancellationToken)
    {
        var byName = new Dictionary<string, FlakyTest>(StringComparer.Ordinal);
        await using (var reader = await flaky.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                // COUNT is bigint on PostgreSQL, integer on SQLite.
                var (name, times, last, sameTree) = (reader.GetString(0), Convert.ToInt32(reader.GetValue(1), CultureInfo.InvariantCulture),
                    columns.Time(reader, 2), Convert.ToInt32(reader.GetValue(3), CultureInfo.InvariantCulture) == 1);
                byName[name] = byName.TryGetValue(name, out var seen)
                    ? seen with { Times = seen.Times + times, LastSeen = last > seen.LastSeen ? last : seen.LastSeen, SameTree = seen.SameTree || sameTree }
                    : new FlakyTest(name, times, last, Guid.Empty, sameTree);
            }
        }
        if (byName.Count == 0) return [];
        await using (var reader = await lastJobs.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var name = reader.GetString(0);
                if (byName.TryGetValue(name, out var test) && test.LastJobId == Guid.Empty) byName[name] = test with { LastJobId = columns.Guid(reader, 1) };
            }
        }
        return [.. byName.Values.OrderByDescending(test => test.LastSeen).ThenBy(test => test.Name, StringComparer.Ordinal).Take(limit)];
    }
}
