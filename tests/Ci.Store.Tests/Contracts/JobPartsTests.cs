using Ci.Core.Protocol;
using Ci.Tests.Shared;

namespace Ci.Store.Tests.Contracts;

/// <summary><see cref="IJobParts"/> on both stores: a running job's parts claimed by runners under leases, ended, recovered.</summary>
public class JobPartsTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;
    static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    [Theory, Stores]
    public async Task Parts_of_a_running_job_are_claimed_once_each_in_order_and_their_results_are_read_back(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var job = await RunningJobAsync(temp);

        Assert.True(await temp.Store.CreateJobPartsAsync(job, [new(1, 2, ["t.py::a", "t.py::b[x y]"]), new(2, 2, ["t.py::c"])], Ct));

        var first = await temp.Store.ClaimNextJobPartAsync("runner-a", Lease, null, Ct);
        var second = await temp.Store.ClaimNextJobPartAsync("runner-b", Lease, null, Ct);
        Assert.Null(await temp.Store.ClaimNextJobPartAsync("runner-c", Lease, null, Ct));
        Assert.Equal((job, 1, 2, 1), (first!.JobId, first.Number, first.Count, first.Attempts));
        Assert.Equal(["t.py::a", "t.py::b[x y]"], first.TestIds);
        Assert.Equal(["t.py::c"], second!.TestIds);

        Assert.False(await temp.Store.FinishJobPartAsync(first.Id, "runner-b", new JobPartResult(0, "{}", null), Ct));
        Assert.True(await temp.Store.FinishJobPartAsync(first.Id, "runner-a", new JobPartResult(0, "{\"tests\":[]}", null), Ct));
        Assert.True(await temp.Store.FinishJobPartAsync(second.Id, "runner-b", new JobPartResult(1, null, "Bad upload"), Ct));

        var parts = await temp.Store.GetJobPartsAsync(job, Ct);
        Assert.Equal([1, 2], parts.Select(p => p.Number));
        Assert.All(parts, p => Assert.True(p.IsDone));
        Assert.Equal(new JobPartResult(0, "{\"tests\":[]}", null), parts[0].Result);
        Assert.Equal(new JobPartResult(1, null, "Bad upload"), parts[1].Result);
        Assert.Equal(["runner-a", "runner-b"], parts.Select(p => p.RunnerId));
    }

    [Theory, Stores]
    public async Task A_job_that_is_not_running_gets_no_parts_and_parts_of_an_ended_job_cannot_be_taken_renewed_or_ended(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var queued = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
        Assert.False(await temp.Store.CreateJobPartsAsync(queued.Id, [new(1, 1, ["t"])], Ct));

        var job = await RunningJobAsync(temp, user);
        await temp.Store.CreateJobPartsAsync(job, [new(1, 2, ["a"]), new(2, 2, ["b"])], Ct);
        var held = await temp.Store.ClaimNextJobPartAsync("runner-a", Lease, job, Ct);
        Assert.Equal([held!.Id], await temp.Store.RenewJobPartLeasesAsync("runner-a", [held.Id], Lease, Ct));
        Assert.Empty(await temp.Store.RenewJobPartLeasesAsync("runner-b", [held.Id], Lease, Ct));

        await temp.Store.CancelJobAsync(job, "Cancelled", "cancelled\n", Ct);

        Assert.Empty(await temp.Store.RenewJobPartLeasesAsync("runner-a", [held.Id], Lease, Ct));
        Assert.False(await temp.Store.FinishJobPartAsync(held.Id, "runner-a", new JobPartResult(0, null, null), Ct));
        Assert.Null(await temp.Store.ClaimNextJobPartAsync("runner-b", Lease, null, Ct));
    }

    [Theory, Stores]
    public async Task Claiming_for_one_job_takes_only_its_parts(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var older = await RunningJobAsync(temp, user);
        temp.Clock.Advance(TimeSpan.FromSeconds(5));
        var newer = await RunningJobAsync(temp, user);
        await temp.Store.CreateJobPartsAsync(older, [new(1, 1, ["a"])], Ct);
        await temp.Store.CreateJobPartsAsync(newer, [new(1, 1, ["b"])], Ct);

        Assert.Equal(newer, (await temp.Store.ClaimNextJobPartAsync("coordinator", Lease, newer, Ct))!.JobId);
        Assert.Null(await temp.Store.ClaimNextJobPartAsync("coordinator", Lease, newer, Ct));
        Assert.Equal(older, (await temp.Store.ClaimNextJobPartAsync("other", Lease, null, Ct))!.JobId);
    }

    [Theory, Stores]
    public async Task An_expired_part_goes_back_to_the_queue_and_is_lost_after_too_many_attempts_while_a_released_one_keeps_its_count(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var job = await RunningJobAsync(temp);
        await temp.Store.CreateJobPartsAsync(job, [new(1, 1, ["a"])], Ct);

        var claimed = await temp.Store.ClaimNextJobPartAsync("runner-a", Lease, null, Ct);
        Assert.True(await temp.Store.ReleaseJobPartAsync(claimed!.Id, "runner-a", Ct));
        Assert.Equal(1, (await temp.Store.ClaimNextJobPartAsync("runner-a", Lease, null, Ct))!.Attempts);

        Assert.Empty(await temp.Store.RecoverExpiredJobPartsAsync(2, Ct));
        temp.Clock.Advance(Lease + TimeSpan.FromSeconds(1));
        var recovered = Assert.Single(await temp.Store.RecoverExpiredJobPartsAsync(2, Ct));
        Assert.Equal((JobPartStatuses.Queued, (string?)null), (recovered.Status, recovered.RunnerId));
        Assert.False(await temp.Store.FinishJobPartAsync(claimed.Id, "runner-a", new JobPartResult(0, null, null), Ct));

        Assert.Equal(2, (await temp.Store.ClaimNextJobPartAsync("runner-b", Lease, null, Ct))!.Attempts);
        temp.Clock.Advance(Lease + TimeSpan.FromSeconds(1));
        var lost = Assert.Single(await temp.Store.RecoverExpiredJobPartsAsync(2, Ct));
        Assert.True(lost.IsDone);
        Assert.Null(lost.Result);
        Assert.Null(await temp.Store.ClaimNextJobPartAsync("runner-c", Lease, null, Ct));
    }

    [Theory, Stores]
    public async Task A_recovered_job_run_again_has_none_of_its_earlier_runs_parts_and_new_ones_replace_them(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var job = await RunningJobAsync(temp);
        await temp.Store.CreateJobPartsAsync(job, [new(1, 2, ["a"]), new(2, 2, ["b"])], Ct);
        var old = await temp.Store.ClaimNextJobPartAsync("runner-a", Lease, null, Ct);

        // The coordinator dies: its job's lease expires, the job is queued again and claimed by another runner.
        temp.Clock.Advance(TimeSpan.FromMinutes(5));
        await temp.Store.RecoverExpiredLeasesAsync(3, "requeued\n", "failed\n", Ct);
        Assert.Equal(job, (await temp.Store.ClaimNextQueuedJobAsync("runner-b", Lease, 0, Ct))!.Id);

        Assert.Empty(await temp.Store.GetJobPartsAsync(job, Ct));
        Assert.Null(await temp.Store.ClaimNextJobPartAsync("runner-c", Lease, null, Ct));
        Assert.Empty(await temp.Store.RenewJobPartLeasesAsync("runner-a", [old!.Id], Lease, Ct));
        Assert.False(await temp.Store.FinishJobPartAsync(old.Id, "runner-a", new JobPartResult(0, null, null), Ct));

        await temp.Store.CreateJobPartsAsync(job, [new(1, 1, ["a", "b"])], Ct);
        var again = Assert.Single(await temp.Store.GetJobPartsAsync(job, Ct));
        Assert.Equal((1, JobPartStatuses.Queued), (again.Count, again.Status));
    }

    [Theory, Stores]
    public async Task A_job_handed_back_at_shutdown_loses_its_parts_so_its_next_run_starts_without_them(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var job = await RunningJobAsync(temp);
        await temp.Store.CreateJobPartsAsync(job, [new(1, 2, ["a"]), new(2, 2, ["b"])], Ct);

        // Handing back gives the attempt back: the next claim has the same attempt number as this run.
        Assert.True(await temp.Store.ReleaseJobAsync(job, "coordinator", "handed back\n", Ct));
        Assert.Equal(job, (await temp.Store.ClaimNextQueuedJobAsync("runner-b", Lease, 0, Ct))!.Id);

        Assert.Empty(await temp.Store.GetJobPartsAsync(job, Ct));
        Assert.Null(await temp.Store.ClaimNextJobPartAsync("runner-c", Lease, null, Ct));
    }

    static async Task<Guid> RunningJobAsync(TempStore temp, User? user = null)
    {
        user ??= await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var created = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
        while (await temp.Store.ClaimNextQueuedJobAsync("coordinator", Lease, 0, Ct) is { } claimed)
        {
            if (claimed.Id == created.Id) return created.Id;
        }
        throw new InvalidOperationException("The job was not claimed.");
    }
}
