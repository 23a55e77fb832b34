using Ci.Core.Protocol;
using Ci.Tests.Shared;

namespace Ci.Store.Tests.Contracts;

/// <summary><see cref="IJobRerunStore"/> on both stores: test plans, flaky tests, and the pruning of kept trees.</summary>
public class JobRerunStoreTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory, Stores]
    public async Task A_test_plan_round_trips_and_a_job_without_one_has_none(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var id = Guid.NewGuid();
        var plan = new JobTestPlan(2, ["t.py::a", "t.py::b[x y]"], "abc123", Guid.NewGuid());

        await temp.Store.SaveTestPlanAsync(id, plan, Ct);
        await temp.Store.SaveTestPlanAsync(id, plan with { Retries = 3 }, Ct);

        var read = await temp.Store.GetTestPlanAsync(id, Ct);
        Assert.Equal((3, "abc123", plan.RerunOf), (read.Retries, read.TreeHash, read.RerunOf));
        Assert.Equal(plan.OnlyTests, read.OnlyTests);
        Assert.Same(JobTestPlan.None, await temp.Store.GetTestPlanAsync(Guid.NewGuid(), Ct));
    }

    [Theory, Stores]
    public async Task Flaky_flags_round_trip_in_reports_and_flaky_tests_are_listed_from_retries_and_from_the_same_tree(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var retried = await JobAsync(temp, user, "tree-1", new TestCaseResult("t.py::retried", TestOutcome.Passed, 0.1, "boom") { Flaky = true, Attempts = 2 });
        temp.Clock.Advance(TimeSpan.FromMinutes(1));
        await JobAsync(temp, user, "tree-2", new TestCaseResult("t.py::tree", TestOutcome.Passed, 0.1));
        temp.Clock.Advance(TimeSpan.FromMinutes(1));
        var failedOnSameTree = await JobAsync(temp, user, "tree-2", new TestCaseResult("t.py::tree", TestOutcome.Failed, 0.1, "no"));
        await JobAsync(temp, user, "tree-3", new TestCaseResult("t.py::steady_failure", TestOutcome.Failed, 0.1, "no"));

        var report = await temp.Store.GetTestReportAsync(retried, Ct);
        Assert.Equal(1, report!.Flaky);
        Assert.Equal((true, (int?)2), (report.Tests[0].Flaky, report.Tests[0].Attempts));

        var flaky = await temp.Store.ListFlakyTestsAsync(user.Id, DateTime.UnixEpoch, 10, Ct);

        Assert.Equal(["t.py::tree", "t.py::retried"], flaky.Select(test => test.Name));
        Assert.Equal((1, true, failedOnSameTree), (flaky[0].Times, flaky[0].SameTree, flaky[0].LastJobId));
        Assert.Equal((1, false, retried), (flaky[1].Times, flaky[1].SameTree, flaky[1].LastJobId));
        var stranger = await temp.Store.CreateUserAsync("Bob", "bob@example.com", Ct);
        Assert.Empty(await temp.Store.ListFlakyTestsAsync(stranger.Id, DateTime.UnixEpoch, 10, Ct));
    }

    [Theory, Stores]
    public async Task Pruning_deletes_the_uploads_of_jobs_that_ended_before_the_cutoff_in_batches(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var old = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var job = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
            await temp.Store.FinishJobAsync(job.Id, JobStatus.Completed, true, null, Ct);
            old.Add(job.Id);
        }
        temp.Clock.Advance(TimeSpan.FromHours(2));
        var recent = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
        await temp.Store.FinishJobAsync(recent.Id, JobStatus.Completed, true, null, Ct);
        var queued = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
        var cutoff = temp.Clock.GetUtcNow().UtcDateTime - TimeSpan.FromHours(1);

        Assert.Equal(2, await temp.Store.DeleteExpiredUploadsAsync(cutoff, 2, Ct));
        Assert.Equal(1, await temp.Store.DeleteExpiredUploadsAsync(cutoff, 2, Ct));
        Assert.Equal(0, await temp.Store.DeleteExpiredUploadsAsync(cutoff, 2, Ct));

        foreach (var id in old) Assert.Null(await temp.Store.OpenUploadAsync(id, Ct));
        await using (var kept = await temp.Store.OpenUploadAsync(recent.Id, Ct)) Assert.NotNull(kept);
        await using (var waiting = await temp.Store.OpenUploadAsync(queued.Id, Ct)) Assert.NotNull(waiting);
    }

    static async Task<Guid> JobAsync(TempStore temp, User user, string treeHash, TestCaseResult test)
    {
        var id = Guid.NewGuid();
        await temp.Store.SaveTestPlanAsync(id, new JobTestPlan(null, null, treeHash, null), Ct);
        await temp.Store.CreateJobAsync(id, user.Id, temp.WriteUpload(), Ct);
        var failed = test.Outcome == TestOutcome.Failed ? 1 : 0;
        await temp.Store.SaveTestReportAsync(id, new TestReport(1 - failed, failed, 0, 0.1, false, [test]) { Flaky = test.Flaky ? 1 : 0 }, Ct);
        return id;
    }
}
