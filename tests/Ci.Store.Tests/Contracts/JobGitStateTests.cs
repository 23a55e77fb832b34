using Ci.Core.Protocol;
using Ci.Tests.Shared;

namespace Ci.Store.Tests.Contracts;

public class JobGitStateTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    const string Commit = "0123456789abcdef0123456789abcdef01234567";

    [Theory, Stores]
    public async Task Git_state_is_kept_with_the_job_and_carried_by_its_summary(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var job = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
        var detached = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
        var outside = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);

        await temp.Store.SetGitStateAsync(job.Id, Commit, "feature/ü", dirty: true, Ct);
        await temp.Store.SetGitStateAsync(detached.Id, Commit, null, dirty: false, Ct);

        var stored = (await temp.Store.GetJobAsync(job.Id, Ct))!;
        Assert.Equal((Commit, "feature/ü", (bool?)true), (stored.GitCommit, stored.GitBranch, stored.GitDirty));
        Assert.Equal(new JobSummary(job.Id.ToString(), JobStatus.Queued, null, null, null, GitCommit: Commit, GitBranch: "feature/ü", GitDirty: true),
            stored.ToSummary());
        var storedDetached = (await temp.Store.GetJobAsync(detached.Id, Ct))!;
        Assert.Equal((Commit, null, (bool?)false), (storedDetached.GitCommit, storedDetached.GitBranch, storedDetached.GitDirty));
        var storedOutside = (await temp.Store.GetJobAsync(outside.Id, Ct))!;
        Assert.Equal((null, null, (bool?)null), (storedOutside.GitCommit, storedOutside.GitBranch, storedOutside.GitDirty));
        // The fields survive the state changes that return the row.
        var finished = await temp.Store.FinishJobAsync(job.Id, JobStatus.Completed, true, null, Ct);
        Assert.Equal("feature/ü", finished!.GitBranch);
    }

    [Theory]
    [Stores(1)]
    [Stores(2)]
    [Stores(100)]
    public async Task Branch_filter_keeps_that_branch_and_pages_through_it_newest_first(StoreKind kind, int limit)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var other = await temp.Store.CreateUserAsync("Bob", "bob@example.com", Ct);
        var onMain = new List<Guid>();
        for (var i = 0; i < 6; i++)
        {
            temp.Clock.Advance(TimeSpan.FromSeconds(1));
            var job = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
            var branch = i % 2 == 0 ? "main" : i == 3 ? null : "topic";
            if (i != 5) await temp.Store.SetGitStateAsync(job.Id, Commit, branch, false, Ct);
            if (branch == "main") onMain.Add(job.Id);
        }
        var othersJob = await temp.Store.CreateJobAsync(Guid.NewGuid(), other.Id, temp.WriteUpload(), Ct);
        await temp.Store.SetGitStateAsync(othersJob.Id, Commit, "main", false, Ct);

        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await temp.Store.ListJobsAsync(new JobQuery(user.Id, Limit: limit, Cursor: cursor, Branch: "main"), Ct);
            Assert.True(page.Jobs.Count <= limit);
            seen.AddRange(page.Jobs.Select(j => j.Id));
            cursor = page.NextCursor;
        } while (cursor is not null);

        onMain.Reverse();
        Assert.Equal(onMain, seen);
        Assert.Empty((await temp.Store.ListJobsAsync(new JobQuery(user.Id, Branch: "nope"), Ct)).Jobs);
    }
}
