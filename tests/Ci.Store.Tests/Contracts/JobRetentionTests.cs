using Ci.Core.Protocol;
using Ci.Tests.Shared;

namespace Ci.Store.Tests.Contracts;

public class JobRetentionTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Three jobs that ended 100 days ago (one with a report and a log, one failed, one cancelled), one that ended a day
    /// ago, one running and one queued since 100 days ago: the old finished ones go, the others stay.
    /// </summary>
    static async Task<(List<Guid> Old, List<Guid> Kept)> SeedAsync(TempStore temp)
    {
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var old = new List<Guid>();
        var kept = new List<Guid>();
        async Task<Guid> NewJobAsync() => (await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct)).Id;
        var running = await NewJobAsync();
        await temp.Store.ClaimNextQueuedJobAsync(Ct);
        var queued = await NewJobAsync();
        var withLog = await NewJobAsync();
        await temp.Store.AppendLogAsync(withLog, "héllo\n", Ct);
        await temp.Store.SaveTestReportAsync(withLog, new TestReport(1, 0, 0, 0.1, false, [new TestCaseResult("t.py::test", TestOutcome.Passed, 0.1)]), Ct);
        await temp.Store.FinishJobAsync(withLog, JobStatus.Completed, true, null, Ct);
        var failed = await NewJobAsync();
        await temp.Store.FinishJobAsync(failed, JobStatus.Failed, false, "boom", Ct);
        var cancelled = await NewJobAsync();
        await temp.Store.FinishJobAsync(cancelled, JobStatus.Cancelled, false, null, Ct);
        old.AddRange([withLog, failed, cancelled]);
        temp.Clock.Advance(TimeSpan.FromDays(99));
        var recent = await NewJobAsync();
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
