using Ci.Core.Protocol;
using Ci.Tests.Shared;

namespace Ci.Store.Tests.Contracts;

/// <summary>Claims share the runners out between users (FairShareSql), on both stores.</summary>
public class FairShareTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;
    static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    static async Task<(TempStore Temp, Guid Ada, Guid Bob)> StoreWithTwoUsersAsync(StoreKind kind)
    {
        var temp = await TempStore.CreateAsync(kind);
        var ada = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        var bob = await temp.Store.CreateUserAsync("Bob", "bob@example.com", Ct);
        return (temp, ada.Id, bob.Id);
    }

    async Task<Guid> QueueAsync(TempStore temp, Guid user)
    {
        temp.Clock.Advance(TimeSpan.FromSeconds(1));
        return (await temp.Store.CreateJobAsync(Guid.NewGuid(), user, temp.WriteUpload(), Ct)).Id;
    }

    /// <summary>One slot: claim a job, let it run a while and finish, and so on until the queue is empty.</summary>
    static async Task<List<Guid>> RunOneAtATimeAsync(TempStore temp, int maxRunningPerUser)
    {
        var order = new List<Guid>();
        while (await temp.Store.ClaimNextQueuedJobAsync("runner-1", Lease, maxRunningPerUser, Ct) is { } job)
        {
            order.Add(job.Id);
            temp.Clock.Advance(TimeSpan.FromSeconds(5));
            await temp.Store.FinishHeldJobAsync(job.Id, "runner-1", JobStatus.Completed, true, null, Ct);
        }
        return order;
    }

    [Theory, Stores]
    public async Task With_one_slot_another_users_job_runs_second_not_after_the_first_users_queue(StoreKind kind)
    {
        var (temp, ada, bob) = await StoreWithTwoUsersAsync(kind);
        await using var _ = temp;
        Guid[] adas = [await QueueAsync(temp, ada), await QueueAsync(temp, ada), await QueueAsync(temp, ada)];
        var bobs = await QueueAsync(temp, bob);

        var order = await RunOneAtATimeAsync(temp, maxRunningPerUser: 0);

        Assert.Equal([adas[0], bobs, adas[1], adas[2]], order);
    }

    [Theory, Stores]
    public async Task Users_take_turns_and_each_users_jobs_keep_their_order(StoreKind kind)
    {
        var (temp, ada, bob) = await StoreWithTwoUsersAsync(kind);
        await using var _ = temp;
        Guid[] adas = [await QueueAsync(temp, ada), await QueueAsync(temp, ada), await QueueAsync(temp, ada)];
        Guid[] bobs = [await QueueAsync(temp, bob), await QueueAsync(temp, bob)];

        var order = await RunOneAtATimeAsync(temp, maxRunningPerUser: 0);

        Assert.Equal([adas[0], bobs[0], adas[1], bobs[1], adas[2]], order);
    }

    [Theory, Stores]
    public async Task The_user_with_fewer_running_jobs_goes_first_when_several_slots_are_busy(StoreKind kind)
    {
        var (temp, ada, bob) = await StoreWithTwoUsersAsync(kind);
        await using var _ = temp;
        Guid[] adas = [await QueueAsync(temp, ada), await QueueAsync(temp, ada), await QueueAsync(temp, ada)];
        var bobs = await QueueAsync(temp, bob);

        var first = await temp.Store.ClaimNextQueuedJobAsync("runner-1", Lease, 0, Ct);
        var second = await temp.Store.ClaimNextQueuedJobAsync("runner-2", Lease, 0, Ct);
        var third = await temp.Store.ClaimNextQueuedJobAsync("runner-3", Lease, 0, Ct);

        Assert.Equal([adas[0], bobs, adas[1]], [first!.Id, second!.Id, third!.Id]);
    }

    [Theory, Stores]
    public async Task A_user_at_the_cap_is_skipped_even_with_free_slots_and_others_still_start(StoreKind kind)
    {
        var (temp, ada, bob) = await StoreWithTwoUsersAsync(kind);
        await using var _ = temp;
        Guid[] adas = [await QueueAsync(temp, ada), await QueueAsync(temp, ada), await QueueAsync(temp, ada)];
        var bobs = await QueueAsync(temp, bob);

        var claims = new List<JobRecord?>();
        for (var i = 0; i < 4; i++)
            claims.Add(await temp.Store.ClaimNextQueuedJobAsync($"runner-{i}", Lease, 1, Ct));
        var waiting = await temp.Store.GetJobAsync(adas[1], Ct);
        await temp.Store.FinishHeldJobAsync(adas[0], "runner-0", JobStatus.Completed, true, null, Ct);
        var afterFinish = await temp.Store.ClaimNextQueuedJobAsync("runner-0", Lease, 1, Ct);

        Assert.Equal([adas[0], bobs], claims.Take(2).Select(j => j!.Id));
        Assert.Null(claims[2]);
        Assert.Null(claims[3]);
        Assert.Equal(JobStatus.Queued, waiting!.Status);
        Assert.Equal(adas[1], afterFinish!.Id);
    }
}
