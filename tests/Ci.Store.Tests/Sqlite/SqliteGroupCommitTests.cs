using Ci.Core.Protocol;
using Ci.Tests.Shared;
using Ci.Store.Sqlite;

namespace Ci.Store.Tests.Sqlite;

/// <summary>
/// New jobs of a SQLite store are group-committed (<see cref="SqliteStore.JobInsertBatcher"/>): many submissions at once
/// share one transaction, yet each is stored exactly once with its own upload, and a row that fails fails alone.
/// </summary>
public class SqliteGroupCommitTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Many_parallel_submissions_make_exactly_that_many_jobs_each_with_its_own_upload()
    {
        await using var temp = await TempStore.CreateAsync();
        var store = (SqliteStore)temp.Store;
        var user = await store.CreateUserAsync("Ada", "ada@example.com", Ct);
        const int count = 200;
        var uploads = Enumerable.Range(0, count).Select(i => (Id: Guid.NewGuid(), Path: temp.WriteUpload($"upload {i}"))).ToArray();

        var jobs = await Task.WhenAll(uploads.Select(u => Task.Run(() => store.CreateJobAsync(u.Id, user.Id, u.Path, Ct), Ct)));

        Assert.Equal(uploads.Select(u => u.Id), jobs.Select(j => j.Id));
        var stored = await store.ListJobsAsync(new JobQuery(user.Id), Ct);
        Assert.Equal(uploads.Select(u => u.Id).Order(), stored.Jobs.Select(j => j.Id).Order());
        Assert.All(stored.Jobs, job => Assert.Equal(JobStatus.Queued, job.Status));
        for (var i = 0; i < count; i++)
        {
            Assert.False(File.Exists(uploads[i].Path));
            await using var upload = await store.OpenUploadAsync(uploads[i].Id, Ct);
            Assert.Equal($"upload {i}", await new StreamReader(upload!).ReadToEndAsync(Ct));
        }
        Assert.Equal(count, store.JobInserts.BatchSizes.Sum());
    }

    [Fact]
    public async Task A_row_that_fails_in_a_batch_fails_alone_and_the_others_are_stored()
    {
        await using var temp = await TempStore.CreateAsync();
        var store = (SqliteStore)temp.Store;
        var user = await store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var good = Enumerable.Range(0, 10).Select(i => (Id: Guid.NewGuid(), Path: temp.WriteUpload($"good {i}"))).ToArray();
        var orphanUpload = temp.WriteUpload("orphan");
        var orphanId = Guid.NewGuid();

        Task[] submissions;
        // Holding the writer makes every submission queue, so they all land in the same batch.
        await using (await store.HoldWriterAsync(Ct))
        {
            submissions =
            [
                .. good.Take(5).Select(u => store.CreateJobAsync(u.Id, user.Id, u.Path, Ct)),
                store.CreateJobAsync(orphanId, Guid.NewGuid(), orphanUpload, Ct), // no such user: the foreign key fails
                .. good.Skip(5).Select(u => store.CreateJobAsync(u.Id, user.Id, u.Path, Ct)),
            ];
            await WaitUntilAsync(() => store.JobInserts.QueuedCount == 11);
        }

        var orphan = submissions[5];
        await Assert.ThrowsAnyAsync<Exception>(() => orphan);
        await Task.WhenAll(submissions.Where(s => s != orphan));
        Assert.Equal([11], store.JobInserts.BatchSizes);
        Assert.True(File.Exists(orphanUpload)); // handed back to the caller, as a lone failed insert does
        Assert.Null(await store.GetJobAsync(orphanId, Ct));
        var stored = await store.ListJobsAsync(new JobQuery(user.Id), Ct);
        Assert.Equal(good.Select(u => u.Id).Order(), stored.Jobs.Select(j => j.Id).Order());
        foreach (var (id, _) in good)
        {
            await using var upload = await store.OpenUploadAsync(id, Ct);
            Assert.NotNull(upload);
        }
    }

    [Fact]
    public async Task A_submission_is_answered_only_after_its_row_is_committed()
    {
        await using var temp = await TempStore.CreateAsync();
        var store = (SqliteStore)temp.Store;
        var user = await store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var id = Guid.NewGuid();

        Task<JobRecord> submission;
        await using (await store.HoldWriterAsync(Ct))
        {
            submission = store.CreateJobAsync(id, user.Id, temp.WriteUpload(), Ct);
            await WaitUntilAsync(() => store.JobInserts.QueuedCount == 1);
            Assert.False(submission.IsCompleted);
            Assert.Null(await store.GetJobAsync(id, Ct));
        }

        var job = await submission;
        // A fresh store on the same file (another process) sees it.
        await using var other = await SqliteStore.OpenAsync(temp.DbPath, Ct);
        Assert.Equal(job, await other.GetJobAsync(id, Ct));
    }

    static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Timed out waiting for a condition.");
            await Task.Delay(10, Ct);
        }
    }
}
