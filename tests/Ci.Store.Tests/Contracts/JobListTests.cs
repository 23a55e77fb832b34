using Ci.Tests.Shared;
using Ci.Core.Protocol;

namespace Ci.Store.Tests.Contracts;

public class JobListTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Seven jobs a second apart (two of them in the same millisecond), one other user's job.</summary>
    static async Task<(TempStore Temp, User User, List<JobRecord> OldestFirst)> SeedAsync(StoreKind kind)
    {
        var temp = await TempStore.CreateAsync(kind);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var other = await temp.Store.CreateUserAsync("Bob", "bob@example.com", Ct);
        var jobs = new List<JobRecord>();
        for (var i = 0; i < 7; i++)
        {
            if (i != 4)
            {
                temp.Clock.Advance(TimeSpan.FromSeconds(1));
            }
            jobs.Add(await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct));
        }
        await temp.Store.CreateJobAsync(Guid.NewGuid(), other.Id, temp.WriteUpload(), Ct);
        await temp.Store.FinishJobAsync(jobs[1].Id, JobStatus.Completed, true, null, Ct);
        await temp.Store.FinishJobAsync(jobs[4].Id, JobStatus.Completed, false, null, Ct);
        await temp.Store.FinishJobAsync(jobs[5].Id, JobStatus.Failed, false, "boom", Ct);
        for (var i = 0; i < jobs.Count; i++)
        {
            jobs[i] = (await temp.Store.GetJobAsync(jobs[i].Id, Ct))!;
        }
        return (temp, user, jobs);
    }

    [Theory, Stores]
    public async Task Without_parameters_all_of_the_callers_jobs_come_newest_first(StoreKind kind)
    {
        var (temp, user, jobs) = await SeedAsync(kind);
        await using var _ = temp;

        var page = await temp.Store.ListJobsAsync(new JobQuery(user.Id), Ct);

        Assert.Equal(jobs.AsEnumerable().Reverse(), page.Jobs);
        Assert.Null(page.NextCursor);
    }

    [Theory, Stores]
    public async Task Status_filter_keeps_only_that_status(StoreKind kind)
    {
        var (temp, user, jobs) = await SeedAsync(kind);
        await using var _ = temp;

        var page = await temp.Store.ListJobsAsync(new JobQuery(user.Id, JobStatus.Completed), Ct);

        Assert.Equal([jobs[4].Id, jobs[1].Id], page.Jobs.Select(j => j.Id));
    }

    [Theory]
    [Stores(1)]
    [Stores(2)]
    [Stores(3)]
    [Stores(7)]
    [Stores(100)]
    public async Task Paging_with_the_cursor_walks_every_job_once_newest_first(StoreKind kind, int limit)
    {
        var (temp, user, jobs) = await SeedAsync(kind);
        await using var _ = temp;

        var seen = new List<JobRecord>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await temp.Store.ListJobsAsync(new JobQuery(user.Id, Limit: limit, Cursor: cursor), Ct);
            Assert.True(page.Jobs.Count <= limit);
            seen.AddRange(page.Jobs);
            cursor = page.NextCursor;
            pages++;
            // A new job during paging must not shift later pages.
            await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
        }
        while (cursor is not null);

        Assert.Equal(jobs.AsEnumerable().Reverse(), seen);
        Assert.Equal((jobs.Count + limit - 1) / limit, pages);
    }

    [Theory, Stores]
    public async Task Paging_combines_with_the_status_filter(StoreKind kind)
    {
        var (temp, user, jobs) = await SeedAsync(kind);
        await using var _ = temp;

        var first = await temp.Store.ListJobsAsync(new JobQuery(user.Id, JobStatus.Queued, Limit: 2), Ct);
        var second = await temp.Store.ListJobsAsync(new JobQuery(user.Id, JobStatus.Queued, Limit: 2, Cursor: first.NextCursor), Ct);

        Assert.Equal([jobs[6].Id, jobs[3].Id], first.Jobs.Select(j => j.Id));
        Assert.Equal([jobs[2].Id, jobs[0].Id], second.Jobs.Select(j => j.Id));
        Assert.Null(second.NextCursor);
    }

    [Theory, Stores]
    public async Task A_user_without_jobs_gets_an_empty_last_page(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);

        var page = await temp.Store.ListJobsAsync(new JobQuery(Guid.NewGuid(), Limit: 5), Ct);

        Assert.Empty(page.Jobs);
        Assert.Null(page.NextCursor);
    }

    [Theory]
    [Stores("garbage!")]
    [Stores("")]
    [Stores("MjAyNQ")] // base64url of "2025": no separator
    public async Task A_cursor_the_store_did_not_make_is_refused(StoreKind kind, string cursor)
    {
        await using var temp = await TempStore.CreateAsync(kind);

        await Assert.ThrowsAsync<InvalidCursorException>(
            () => temp.Store.ListJobsAsync(new JobQuery(Guid.NewGuid(), Cursor: cursor), Ct));
    }

    [Theory]
    [Stores(0)]
    [Stores(-1)]
    public async Task A_limit_below_one_is_refused(StoreKind kind, int limit)
    {
        await using var temp = await TempStore.CreateAsync(kind);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            () => temp.Store.ListJobsAsync(new JobQuery(Guid.NewGuid(), Limit: limit), Ct));
    }
}
