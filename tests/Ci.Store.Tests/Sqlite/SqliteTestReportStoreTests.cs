using Ci.Core.Protocol;
using Microsoft.Data.Sqlite;
using Ci.Tests.Shared;
using Ci.Store.Sqlite;

namespace Ci.Store.Tests.Sqlite;

/// <summary>Test reports in the store, on both stores; the upgrade of a version-1 file is SQLite's.</summary>
public class SqliteTestReportStoreTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    static readonly TestReport Report = new(2, 1, 1, 3.4, false,
    [
        new TestCaseResult("tests/test_a.py::test_one", TestOutcome.Passed, 0.01),
        new TestCaseResult("tests/test_a.py::test_two", TestOutcome.Failed, 0.5, "assert 1 == 2\n +  where 1 = f()"),
        new TestCaseResult("tests/test_a.py::test_three", TestOutcome.Skipped, 0, "not today"),
        new TestCaseResult("tests/test_b.py::test_é中", TestOutcome.Passed, 1.25),
    ]);

    static async Task<Guid> NewJobAsync(TempStore temp)
    {
        var user = await temp.Store.CreateUserAsync("R", $"{Guid.NewGuid():N}@example.com", Ct);
        var jobId = Guid.NewGuid();
        await temp.Store.CreateJobAsync(jobId, user.Id, temp.WriteUpload(), Ct);
        return jobId;
    }

    [Theory, Stores]
    public async Task A_saved_report_reads_back_whole_and_in_order(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var jobId = await NewJobAsync(temp);

        await temp.Store.SaveTestReportAsync(jobId, Report, Ct);
        var read = await temp.Store.GetTestReportAsync(jobId, Ct);

        Assert.NotNull(read);
        Assert.Equal((Report.Passed, Report.Failed, Report.Skipped, Report.DurationSeconds, Report.Truncated), (read.Passed, read.Failed, read.Skipped, read.DurationSeconds, read.Truncated));
        Assert.Equal(Report.Tests, read.Tests);
    }

    [Theory, Stores]
    public async Task A_job_without_a_report_has_none_and_no_counts(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var jobId = await NewJobAsync(temp);

        Assert.Null(await temp.Store.GetTestReportAsync(jobId, Ct));
        Assert.Empty(await temp.Store.GetTestCountsAsync([jobId], Ct));
    }

    [Theory, Stores]
    public async Task Saving_again_replaces_the_report(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var jobId = await NewJobAsync(temp);
        await temp.Store.SaveTestReportAsync(jobId, Report, Ct);

        await temp.Store.SaveTestReportAsync(jobId, new TestReport(1, 0, 0, 0.1, false, [new TestCaseResult("t", TestOutcome.Passed, 0.1)]), Ct);

        var read = await temp.Store.GetTestReportAsync(jobId, Ct);
        Assert.Single(read!.Tests);
        Assert.Equal(new TestCounts(1, 0, 0), read.Counts);
    }

    [Theory, Stores]
    public async Task Counts_come_for_a_page_of_jobs_in_one_call(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var withReport = await NewJobAsync(temp);
        var without = await NewJobAsync(temp);
        await temp.Store.SaveTestReportAsync(withReport, Report, Ct);

        var counts = await temp.Store.GetTestCountsAsync([withReport, without, Guid.NewGuid()], Ct);

        Assert.Equal(new TestCounts(2, 1, 1), Assert.Single(counts).Value);
        Assert.Equal(withReport, counts.Keys.Single());
    }

    [Fact]
    public async Task A_version_1_database_upgrades_in_place_and_keeps_its_jobs()
    {
        var folder = Directory.CreateTempSubdirectory("ci-store-v1");
        var path = Path.Combine(folder.FullName, "ci.db");
        var jobId = Guid.NewGuid();
        // What version 1 wrote: users, keys, jobs and logs, no report tables.
        await SqliteStoreSchemaTests.ScalarAsync<long>(path, $"""
            CREATE TABLE users (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, email TEXT NOT NULL, created_at TEXT NOT NULL, is_active INTEGER NOT NULL DEFAULT 1);
            CREATE UNIQUE INDEX users_email_unique ON users (lower(email));
            CREATE TABLE api_keys (id TEXT PRIMARY KEY NOT NULL, user_id TEXT NOT NULL REFERENCES users (id), name TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, last_used_at TEXT, is_active INTEGER NOT NULL DEFAULT 1);
            CREATE INDEX api_keys_user ON api_keys (user_id);
            CREATE TABLE jobs (id TEXT PRIMARY KEY NOT NULL, user_id TEXT NOT NULL REFERENCES users (id), status TEXT NOT NULL, success INTEGER, created_at TEXT NOT NULL, start_time TEXT, end_time TEXT, reason TEXT);
            CREATE INDEX jobs_user_created ON jobs (user_id, created_at DESC);
            CREATE INDEX jobs_status_created ON jobs (status, created_at);
            CREATE TABLE job_logs (job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE, seq INTEGER NOT NULL, text TEXT NOT NULL, PRIMARY KEY (job_id, seq)) WITHOUT ROWID;
            INSERT INTO users VALUES ('{Guid.NewGuid():D}', 'Old', 'old@example.com', '2025-10-13T10:30:00.000Z', 1);
            INSERT INTO jobs (id, user_id, status, success, created_at) SELECT '{jobId:D}', id, 'completed', 1, '2025-10-13T10:30:00.000Z' FROM users;
            PRAGMA user_version = 1;
            SELECT 0;
            """);

        await using (var store = await SqliteStore.OpenAsync(path, Ct))
        {
            Assert.Equal(SqliteStore.SchemaVersion, await SqliteStoreSchemaTests.ScalarAsync<long>(path, "PRAGMA user_version;"));
            Assert.Equal(JobStatus.Completed, (await store.GetJobAsync(jobId, Ct))!.Status);
            await store.SaveTestReportAsync(jobId, Report, Ct);
            Assert.NotNull(await store.GetTestReportAsync(jobId, Ct));
        }
        SqliteConnection.ClearAllPools();
        folder.Delete(recursive: true);
    }
}
