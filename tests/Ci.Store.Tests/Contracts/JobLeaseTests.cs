using Ci.Core.Protocol;
using Ci.Tests.Shared;

namespace Ci.Store.Tests.Contracts;

/// <summary>Runner leases (IJobLeases): claim, heartbeat, recovery of dead runners' jobs, hand-back.</summary>
public class JobLeaseTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;
    static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    static async Task<(TempStore Temp, JobRecord Job)> StoreWithJobAsync(StoreKind kind)
    {
        var temp = await TempStore.CreateAsync(kind);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var job = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
        return (temp, job);
    }

    [Theory, Stores]
    public async Task A_renewed_lease_keeps_the_job_and_another_runner_holds_nothing(StoreKind kind)
    {
        var (temp, job) = await StoreWithJobAsync(kind);
        await using var _ = temp;

        var claimed = await temp.Store.ClaimNextQueuedJobAsync("runner-1", Lease, 0, Ct);
        temp.Clock.Advance(TimeSpan.FromSeconds(20));
        var renewed = await temp.Store.RenewLeasesAsync("runner-1", [job.Id, Guid.NewGuid()], Lease, Ct);
        temp.Clock.Advance(TimeSpan.FromSeconds(20)); // past the first lease, within the renewed one

        Assert.Equal(JobStatus.Running, claimed!.Status);
        Assert.Equal([job.Id], renewed);
        Assert.Empty(await temp.Store.RenewLeasesAsync("runner-2", [job.Id], Lease, Ct));
        Assert.Empty(await temp.Store.RecoverExpiredLeasesAsync(2, "requeued", "failed", Ct));
        Assert.Null(await temp.Store.FinishHeldJobAsync(job.Id, "runner-2", JobStatus.Completed, true, null, Ct));
        Assert.Equal(JobStatus.Completed, (await temp.Store.FinishHeldJobAsync(job.Id, "runner-1", JobStatus.Completed, true, null, Ct))!.Status);
    }

    [Theory, Stores]
    public async Task An_expired_lease_requeues_the_job_once_then_fails_it_with_a_line_in_its_log_each_time(StoreKind kind)
    {
        var (temp, job) = await StoreWithJobAsync(kind);
        await using var _ = temp;
        await temp.Store.ClaimNextQueuedJobAsync("runner-1", Lease, 0, Ct);
        await temp.Store.AppendLogAsync(job.Id, "first run\n", Ct);
        temp.Clock.Advance(Lease + TimeSpan.FromMilliseconds(1));

        var first = await temp.Store.RecoverExpiredLeasesAsync(2, "requeued\n", "lost twice", Ct);
        var afterFirst = await temp.Store.GetJobAsync(job.Id, Ct);
        // The first runner comes back to life: it holds nothing any more.
        Assert.Empty(await temp.Store.RenewLeasesAsync("runner-1", [job.Id], Lease, Ct));
        Assert.Null(await temp.Store.FinishHeldJobAsync(job.Id, "runner-1", JobStatus.Completed, true, null, Ct));
        var second = await temp.Store.ClaimNextQueuedJobAsync("runner-2", Lease, 0, Ct);
        temp.Clock.Advance(Lease + TimeSpan.FromMilliseconds(1));
        var last = await temp.Store.RecoverExpiredLeasesAsync(2, "requeued\n", "lost twice", Ct);

        Assert.Equal([new RecoveredJob(afterFirst!, Requeued: true)], first);
        Assert.Equal(JobStatus.Queued, afterFirst!.Status);
        Assert.Null(afterFirst.StartTime);
        Assert.Equal(job.Id, second!.Id);
        var failed = Assert.Single(last);
        Assert.False(failed.Requeued);
        Assert.Equal(JobStatus.Failed, failed.Job.Status);
        Assert.Equal("lost twice", failed.Job.Reason);
        Assert.Equal(failed.Job, await temp.Store.GetJobAsync(job.Id, Ct));
        Assert.Equal(
            [new LogChunk(1, "first run\n"), new LogChunk(2, "requeued\n"), new LogChunk(3, "lost twice\n")],
            await temp.Store.ReadLogAsync(job.Id, 0, Ct).ToListAsync(Ct));
        Assert.Empty(await temp.Store.RecoverExpiredLeasesAsync(2, "requeued\n", "lost twice", Ct));
    }

    [Theory, Stores]
    public async Task A_handed_back_job_is_queued_again_without_counting_the_attempt(StoreKind kind)
    {
        var (temp, job) = await StoreWithJobAsync(kind);
        await using var _ = temp;
        await temp.Store.ClaimNextQueuedJobAsync("runner-1", Lease, 0, Ct);

        Assert.False(await temp.Store.ReleaseJobAsync(job.Id, "runner-2", "not mine\n", Ct));
        Assert.True(await temp.Store.ReleaseJobAsync(job.Id, "runner-1", "handed back\n", Ct));
        // Two more losses are still needed to fail it: the hand-back was not an attempt.
        await temp.Store.ClaimNextQueuedJobAsync("runner-2", Lease, 0, Ct);
        temp.Clock.Advance(Lease * 2);
        var recovered = await temp.Store.RecoverExpiredLeasesAsync(2, "requeued\n", "failed", Ct);

        Assert.True(Assert.Single(recovered).Requeued);
        Assert.Equal(["handed back\n", "requeued\n"], (await temp.Store.ReadLogAsync(job.Id, 0, Ct).ToListAsync(Ct)).Select(c => c.Text));
    }

    [Theory, Stores]
    public async Task Runners_claiming_together_on_separate_connections_never_share_a_job(StoreKind kind)
    {
        var (temp, first) = await StoreWithJobAsync(kind);
        await using var _ = temp;
        var user = await temp.Store.GetJobAsync(first.Id, Ct);
        for (var i = 0; i < 19; i++)
            await temp.Store.CreateJobAsync(Guid.NewGuid(), user!.UserId, temp.WriteUpload(), Ct);
        await using var other = await temp.OpenAnotherAsync();
        ICiStore[] stores = [temp.Store, other];

        var claims = await Task.WhenAll(Enumerable.Range(0, 30).Select(i =>
            Task.Run(() => stores[i % 2].ClaimNextQueuedJobAsync($"runner-{i % 2}", Lease, 0, Ct), Ct)));

        var claimed = claims.Where(j => j is not null).Select(j => j!.Id).ToList();
        Assert.Equal(20, claimed.Count);
        Assert.Equal(20, claimed.Distinct().Count());
    }
}
