using Ci.Core.Protocol;
using Ci.Tests.Shared;

namespace Ci.Store.Tests.Contracts;

/// <summary>Test reports, web sessions and job statistics, on both stores.</summary>
public class ReportSessionStoreTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory, Stores]
    public async Task A_saved_report_reads_back_whole_replaces_the_previous_one_and_gives_counts(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var job = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
        var other = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
        var first = new TestReport(1, 0, 0, 0.5, false, [new TestCaseResult("a::old", TestOutcome.Passed, 0.5)]);
        var report = new TestReport(1, 1, 1, 2.25, true,
        [
            new TestCaseResult("t::ok", TestOutcome.Passed, 0.25),
            new TestCaseResult("t::bad", TestOutcome.Failed, 1.5, "assert 1 == 2"),
            new TestCaseResult("t::skip", TestOutcome.Skipped, 0, "why"),
        ]);

        await temp.Store.SaveTestReportAsync(job.Id, first, Ct);
        await temp.Store.SaveTestReportAsync(job.Id, report, Ct);
        var read = await temp.Store.GetTestReportAsync(job.Id, Ct);

        Assert.Equal(report with { Tests = [] }, read! with { Tests = [] });
        Assert.Equal(report.Tests, read.Tests);
        Assert.Null(await temp.Store.GetTestReportAsync(other.Id, Ct));
        var counts = await temp.Store.GetTestCountsAsync([job.Id, other.Id], Ct);
        Assert.Equal(new Dictionary<Guid, TestCounts> { [job.Id] = new(1, 1, 1) }, counts);
    }

    [Theory, Stores]
    public async Task A_session_finds_its_caller_until_it_is_deleted_or_expires(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var key = await temp.Store.CreateApiKeyAsync(user.Id, "laptop", Ct);
        var now = temp.Clock.GetUtcNow().UtcDateTime;

        var created = await temp.Store.CreateSessionAsync(key.Info.Id, now.AddHours(1), Ct);
        var expiring = await temp.Store.CreateSessionAsync(key.Info.Id, now.AddMinutes(1), Ct);
        var found = await temp.Store.GetSessionAsync(created.SessionId, Ct);

        Assert.Equal(user, found!.Caller.User);
        Assert.Equal(key.Info.Id, found.Caller.Key.Id);
        Assert.Equal(created.Session.CsrfToken, found.CsrfToken);
        Assert.Null(await temp.Store.GetSessionAsync("not-a-session", Ct));
        temp.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Null(await temp.Store.GetSessionAsync(expiring.SessionId, Ct));
        Assert.True(await temp.Store.DeleteSessionAsync(created.SessionId, Ct));
        Assert.Null(await temp.Store.GetSessionAsync(created.SessionId, Ct));
        Assert.False(await temp.Store.DeleteSessionAsync(created.SessionId, Ct));
    }

    [Theory, Stores]
    public async Task Jobs_are_counted_by_status(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        for (var i = 0; i < 3; i++)
            await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
        await temp.Store.ClaimNextQueuedJobAsync("runner", TimeSpan.FromSeconds(30), 0, Ct);

        var counts = await temp.Store.CountJobsByStatusAsync(Ct);

        Assert.Equal(2, counts[JobStatus.Queued]);
        Assert.Equal(1, counts[JobStatus.Running]);
    }
}
