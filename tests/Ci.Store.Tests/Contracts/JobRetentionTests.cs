using System.Globalization;
using System.Text;
using Ci.Core.Protocol;
using Ci.Tests.Shared;
using Microsoft.Data.Sqlite;

namespace Ci.Store.Tests.Contracts;

public class JobRetentionTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Three jobs that ended 100 days ago (one with a report, a log and an idempotency key, one failed, one cancelled), one that ended a day
    /// ago, one running and one queued since 100 days ago: the old finished ones go, the others stay.
    /// </summary>
    static async Task<(List<Guid> Old, List<Guid> Kept)> SeedAsync(TempStore temp)
    {
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var old = new List<Guid>();
        var kept = new List<Guid>();
        async Task<Guid> NewJobAsync(string? idempotencyKey = null) => idempotencyKey is null
            ? (await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct)).Id
            : (await ((ISubmissionKeyStore)temp.Store).CreateJobOnceAsync(Guid.NewGuid(), user.Id, idempotencyKey, temp.WriteUpload(), Ct)).Job.Id;
        var running = await NewJobAsync();
        await temp.Store.ClaimNextQueuedJobAsync(Ct);
        var queued = await NewJobAsync();
        var withLog = await NewJobAsync(idempotencyKey: "old");
        await temp.Store.AppendLogAsync(withLog, "héllo\n", Ct);
        await temp.Store.SaveTestReportAsync(withLog, new TestReport(1, 0, 0, 0.1, false, [new TestCaseResult("t.py::test", TestOutcome.Passed, 0.1)]), Ct);
        await temp.Store.FinishJobAsync(withLog, JobStatus.Completed, true, null, Ct);
        var failed = await NewJobAsync();
        await temp.Store.FinishJobAsync(failed, JobStatus.Failed, false, "boom", Ct);
        var cancelled = await NewJobAsync();
        await temp.Store.FinishJobAsync(cancelled, JobStatus.Cancelled, false, null, Ct);
        old.AddRange([withLog, failed, cancelled]);
        temp.Clock.Advance(TimeSpan.FromDays(99));
        var recent = await NewJobAsync(idempotencyKey: "recent");
        await temp.Store.FinishJobAsync(recent, JobStatus.Completed, true, null, Ct);
        temp.Clock.Advance(TimeSpan.FromDays(1));
        kept.AddRange([queued, running, recent]);
        return (old, kept);
    }

    [Theory, Stores]
    public async Task Prune_removes_old_finished_jobs_with_their_logs_and_reports_and_keeps_the_rest(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var (old, kept) = await SeedAsync(temp);
        var cutoff = temp.Clock.GetUtcNow().UtcDateTime.AddDays(-30);

        var counted = await temp.Store.CountPrunableJobsAsync(cutoff, Ct);
        var first = await temp.Store.PruneJobsAsync(cutoff, batchSize: 2, Ct);
        var second = await temp.Store.PruneJobsAsync(cutoff, batchSize: 2, Ct);
        var third = await temp.Store.PruneJobsAsync(cutoff, batchSize: 2, Ct);
        await temp.Store.ReclaimSpaceAsync(100, Ct);

        Assert.Equal(new PrunedJobs(3, "héllo\n"u8.Length), counted);
        Assert.Equal(2, first.Jobs);
        Assert.Equal(1, second.Jobs);
        Assert.Equal(PrunedJobs.None, third);
        Assert.Equal(counted.LogBytes, first.LogBytes + second.LogBytes);
        foreach (var id in old)
        {
            Assert.Null(await temp.Store.GetJobAsync(id, Ct));
            Assert.Null(await temp.Store.GetTestReportAsync(id, Ct));
            Assert.Equal(0, await temp.Store.GetLastSequenceAsync(id, Ct));
        }
        foreach (var id in kept)
            Assert.NotNull(await temp.Store.GetJobAsync(id, Ct));
        Assert.Equal(PrunedJobs.None, await temp.Store.CountPrunableJobsAsync(cutoff, Ct));
    }

    [Theory, Stores]
    public async Task Prune_leaves_no_row_of_a_pruned_job_in_any_table(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var (old, kept) = await SeedAsync(temp);
        foreach (var id in old.Concat(kept))
            await AddPerJobRowsAsync(temp, id);
        // Rows for every per-job table the store has, whether or not it references jobs (a new one is counted too).
        var tables = await JobTablesAsync(temp);
        var expected = new[] { "job_logs", "test_reports", "test_cases", "job_sharding", "job_test_plans", "artifacts", "artifact_parts", "submission_keys" };
        Assert.Subset(tables.ToHashSet(), expected.ToHashSet());
        var before = await CountRowsAsync(temp, tables, old[0]);
        Assert.All(expected, table => Assert.True(before[table] > 0, $"{table} has no row of the seeded job"));

        while ((await temp.Store.PruneJobsAsync(temp.Clock.GetUtcNow().UtcDateTime.AddDays(-30), batchSize: 2, Ct)).Jobs > 0)
        {
        }

        foreach (var id in old)
            Assert.Equal([], (await CountRowsAsync(temp, tables, id)).Where(count => count.Value > 0).Select(count => count.Key));
        foreach (var id in kept)
        {
            Assert.NotNull(await temp.Store.GetJobShardingAsync(id, Ct));
            Assert.Equal(2, (await temp.Store.GetTestPlanAsync(id, Ct)).Retries);
            Assert.Single(await temp.Store.ListArtifactsAsync(id, Ct));
        }
    }

    [Theory, Stores]
    public async Task Deleting_an_unqueued_job_removes_its_sharding_and_plan_but_never_those_of_a_job_that_exists(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var never = Guid.NewGuid();
        var queued = Guid.NewGuid();
        foreach (var id in new[] { never, queued })
        {
            await temp.Store.SaveJobShardingAsync(id, new JobSharding(2, "demo"), Ct);
            await temp.Store.SaveTestPlanAsync(id, new JobTestPlan(2, null, "ab12", RerunOf: null), Ct);
        }
        await temp.Store.CreateJobAsync(queued, user.Id, temp.WriteUpload(), Ct);

        await temp.Store.DeleteUnqueuedJobAsync(never, Ct);
        await temp.Store.DeleteUnqueuedJobAsync(queued, Ct);

        Assert.Null(await temp.Store.GetJobShardingAsync(never, Ct));
        Assert.Equal(JobTestPlan.None, await temp.Store.GetTestPlanAsync(never, Ct));
        Assert.NotNull(await temp.Store.GetJobShardingAsync(queued, Ct));
        Assert.Equal(2, (await temp.Store.GetTestPlanAsync(queued, Ct)).Retries);
    }

    /// <summary>The rows a job gets besides its log and report: sharding and test plan (written before it exists), an artifact.</summary>
    static async Task AddPerJobRowsAsync(TempStore temp, Guid id)
    {
        await temp.Store.SaveJobShardingAsync(id, new JobSharding(2, "demo"), Ct);
        await temp.Store.SaveTestPlanAsync(id, new JobTestPlan(2, ["t.py::test"], "ab12", RerunOf: null), Ct);
        await temp.Store.SaveArtifactAsync(id, "out/report.txt", new MemoryStream(Encoding.UTF8.GetBytes("done")), Ct);
    }

    /// <summary>The store's tables that have a <c>job_id</c> column, read from its schema.</summary>
    static async Task<IReadOnlyList<string>> JobTablesAsync(TempStore temp) => await QueryAsync(temp, temp.Kind == StoreKind.Postgres
        ? "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'job_id' ORDER BY table_name;"
        : "SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) c WHERE m.type = 'table' AND c.name = 'job_id' ORDER BY m.name;");

    /// <summary>Each table's rows of job <paramref name="id"/>.</summary>
    static async Task<Dictionary<string, long>> CountRowsAsync(TempStore temp, IReadOnlyList<string> tables, Guid id)
    {
        var counts = new Dictionary<string, long>();
        foreach (var table in tables)
            counts[table] = long.Parse((await QueryAsync(temp, $"SELECT COUNT(*) FROM {table} WHERE job_id = '{id:D}';")).Single(), CultureInfo.InvariantCulture);
        return counts;
    }

    /// <summary>The first column of each row of <paramref name="sql"/>, as text, read beside the store.</summary>
    static async Task<IReadOnlyList<string>> QueryAsync(TempStore temp, string sql)
    {
        if (temp.Kind == StoreKind.Postgres)
        {
            var output = await (await PostgresCluster.GetAsync()).PsqlAsync(temp.Location[(temp.Location.LastIndexOf('/') + 1)..], sql);
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
        await using var connection = new SqliteConnection($"Data Source={temp.DbPath};Mode=ReadOnly");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
            rows.Add(Convert.ToString(reader.GetValue(0), CultureInfo.InvariantCulture)!);
        return rows;
    }

    [Theory, Stores]
    public async Task A_dry_run_count_changes_nothing(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var (old, _) = await SeedAsync(temp);

        var counted = await temp.Store.CountPrunableJobsAsync(temp.Clock.GetUtcNow().UtcDateTime.AddDays(-30), Ct);

        Assert.Equal(3, counted.Jobs);
        foreach (var id in old)
            Assert.NotNull(await temp.Store.GetJobAsync(id, Ct));
        Assert.Equal(0, (await temp.Store.CountPrunableJobsAsync(temp.Clock.GetUtcNow().UtcDateTime.AddDays(-101), Ct)).Jobs);
    }
}
