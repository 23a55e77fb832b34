using Ci.Tests.Shared;
using Ci.Core.Protocol;

namespace Ci.Store.Tests.Contracts;

public class JobStoreTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    static async Task<(TempStore Temp, User User)> StoreWithUserAsync(StoreKind kind)
    {
        var temp = await TempStore.CreateAsync(kind);
        var user = await temp.Store.CreateUserAsync("Ada", "ada@example.com", Ct);
        return (temp, user);
    }

    [Theory, Stores]
    public async Task A_created_job_is_queued_and_its_upload_moves_into_the_store(StoreKind kind)
    {
        var (temp, user) = await StoreWithUserAsync(kind);
        await using var _ = temp;
        var upload = temp.WriteUpload("zip bytes");
        var id = Guid.NewGuid();

        var job = await temp.Store.CreateJobAsync(id, user.Id, upload, Ct);

        Assert.Equal(new JobRecord(id, user.Id, JobStatus.Queued, null, temp.Clock.GetUtcNow().UtcDateTime, null, null, null), job);
        Assert.Equal(DateTimeKind.Utc, job.CreatedAt.Kind);
        Assert.False(File.Exists(upload));
        if (kind == StoreKind.Sqlite)
            Assert.True(File.Exists(Path.Combine(temp.DbPath + ".uploads", id + ".zip")));
        await using (var stream = await temp.Store.OpenUploadAsync(id, Ct))
        {
            Assert.NotNull(stream);
            Assert.Equal("zip bytes", await new StreamReader(stream).ReadToEndAsync(Ct));
        }
        Assert.Equal(job, await temp.Store.GetJobAsync(id, Ct));
    }

    [Theory, Stores]
    public async Task A_deleted_upload_opens_as_null_and_deleting_twice_is_fine(StoreKind kind)
    {
        var (temp, user) = await StoreWithUserAsync(kind);
        await using var _ = temp;
        var job = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);

        await temp.Store.DeleteUploadAsync(job.Id, Ct);
        await temp.Store.DeleteUploadAsync(job.Id, Ct);

        Assert.Null(await temp.Store.OpenUploadAsync(job.Id, Ct));
        Assert.NotNull(await temp.Store.GetJobAsync(job.Id, Ct));
    }

    [Theory, Stores]
    public async Task A_job_for_an_unknown_user_is_refused_and_the_upload_stays_with_the_caller(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);
        var upload = temp.WriteUpload();

        await Assert.ThrowsAnyAsync<Exception>(() => temp.Store.CreateJobAsync(Guid.NewGuid(), Guid.NewGuid(), upload, Ct));

        Assert.True(File.Exists(upload));
    }

    [Theory, Stores]
    public async Task Unknown_job_reads_as_null(StoreKind kind)
    {
        await using var temp = await TempStore.CreateAsync(kind);

        Assert.Null(await temp.Store.GetJobAsync(Guid.NewGuid(), Ct));
        Assert.Null(await temp.Store.FinishJobAsync(Guid.NewGuid(), JobStatus.Cancelled, false, "x", Ct));
        Assert.Equal(0, await temp.Store.GetLastSequenceAsync(Guid.NewGuid(), Ct));
    }

    [Theory, Stores]
    public async Task Times_round_trip_to_the_millisecond_as_utc(StoreKind kind)
    {
        var (temp, user) = await StoreWithUserAsync(kind);
        await using var _ = temp;
        temp.Clock.Set(new DateTimeOffset(2025, 1, 2, 3, 4, 5, 678, TimeSpan.Zero).AddTicks(9999));
        var job = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
        temp.Clock.Advance(TimeSpan.FromMilliseconds(1001));
        var claimed = await temp.Store.ClaimNextQueuedJobAsync(Ct);
        temp.Clock.Advance(TimeSpan.FromMilliseconds(1));
        var finished = await temp.Store.FinishJobAsync(job.Id, JobStatus.Completed, true, null, Ct);

        var read = await temp.Store.GetJobAsync(job.Id, Ct);

        Assert.Equal(new DateTime(2025, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc), read!.CreatedAt);
        Assert.Equal(new DateTime(2025, 1, 2, 3, 4, 6, 679, DateTimeKind.Utc), read.StartTime);
        Assert.Equal(new DateTime(2025, 1, 2, 3, 4, 6, 680, DateTimeKind.Utc), read.EndTime);
        Assert.Equal(finished, read);
        Assert.Equal(claimed!.StartTime, read.StartTime);
        Assert.All([read.CreatedAt, read.StartTime!.Value, read.EndTime!.Value], t => Assert.Equal(DateTimeKind.Utc, t.Kind));
    }

    [Theory, Stores]
    public async Task Claim_takes_queued_jobs_oldest_first_and_then_none(StoreKind kind)
    {
        var (temp, user) = await StoreWithUserAsync(kind);
        await using var _ = temp;
        var first = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
        // Same millisecond: insertion order breaks the tie.
        var second = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
        temp.Clock.Advance(TimeSpan.FromSeconds(1));
        var third = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);

        var claims = new List<JobRecord?>();
        for (var i = 0; i < 4; i++)
        {
            claims.Add(await temp.Store.ClaimNextQueuedJobAsync(Ct));
        }

        Assert.Equal([first.Id, second.Id, third.Id], claims.Take(3).Select(j => j!.Id));
        Assert.All(claims.Take(3), j => Assert.Equal(JobStatus.Running, j!.Status));
        Assert.All(claims.Take(3), j => Assert.Equal(temp.Clock.GetUtcNow().UtcDateTime, j!.StartTime));
        Assert.Null(claims[3]);
    }

    [Theory, Stores]
    public async Task Parallel_claims_never_hand_out_a_job_twice(StoreKind kind)
    {
        var (temp, user) = await StoreWithUserAsync(kind);
        await using var _ = temp;
        var created = new List<Guid>();
        for (var i = 0; i < 20; i++)
        {
            created.Add((await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct)).Id);
        }

        // Two stores on one file: each queues its own writers, so only SQLite's locking keeps them apart.
        await using var second = await temp.OpenAnotherAsync();
        IJobStore[] stores = [temp.Store, second];

        var claims = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => Task.Run(() => stores[i % 2].ClaimNextQueuedJobAsync(Ct), Ct)));

        var claimed = claims.Where(j => j is not null).Select(j => j!.Id).ToList();
        Assert.Equal(20, claimed.Count);
        Assert.Equal(created.Order(), claimed.Order());
    }

    [Theory, Stores]
    public async Task Parallel_appends_to_one_job_get_sequences_one_to_n_without_gaps(StoreKind kind)
    {
        var (temp, user) = await StoreWithUserAsync(kind);
        await using var _ = temp;
        var job = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
        var other = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
        const int count = 200;

        // Two stores on one file, as when a separate runner process appends: SQLite alone must keep the order.
        await using var second = await temp.OpenAnotherAsync();
        IJobStore[] stores = [temp.Store, second];

        var chunks = await Task.WhenAll(Enumerable.Range(0, count).Select(i => Task.Run(
            () => stores[i % 3 == 0 ? 1 : 0].AppendLogAsync(i % 4 == 0 ? other.Id : job.Id, $"line {i}\n", Ct), Ct)));

        var stored = await temp.Store.ReadLogAsync(job.Id, 0, Ct).ToListAsync(Ct);
        var storedOther = await temp.Store.ReadLogAsync(other.Id, 0, Ct).ToListAsync(Ct);
        Assert.Equal(Enumerable.Range(1, 150).Select(i => (long)i), stored.Select(c => c.Sequence));
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), storedOther.Select(c => c.Sequence));
        // What each append returned is exactly what was stored.
        Assert.Equal(
            stored.Concat(storedOther).OrderBy(c => c.Text, StringComparer.Ordinal),
            chunks.OrderBy(c => c.Text, StringComparer.Ordinal));
        Assert.Equal(150, await temp.Store.GetLastSequenceAsync(job.Id, Ct));
    }

    [Theory, Stores]
    public async Task A_batch_of_chunks_gets_consecutive_sequences_even_beside_parallel_appends(StoreKind kind)
    {
        var (temp, user) = await StoreWithUserAsync(kind);
        await using var _ = temp;
        var job = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
        await using var second = await temp.OpenAnotherAsync();
        IJobStore[] stores = [temp.Store, second];

        // Batches of 5 chunks (the runner's group commit) racing single appends, through two stores on one database.
        var batchTasks = Enumerable.Range(0, 20).Select(b => Task.Run(
            () => stores[b % 2].AppendLogAsync(job.Id, Enumerable.Range(0, 5).Select(i => $"batch {b} chunk {i}\n").ToList(), Ct), Ct)).ToList();
        var singleTasks = Enumerable.Range(0, 20).Select(i => Task.Run(() => stores[i % 2].AppendLogAsync(job.Id, $"single {i}\n", Ct), Ct)).ToList();
        var batches = await Task.WhenAll(batchTasks);
        await Task.WhenAll(singleTasks);

        var stored = await temp.Store.ReadLogAsync(job.Id, 0, Ct).ToListAsync(Ct);
        Assert.Equal(Enumerable.Range(1, 120).Select(i => (long)i), stored.Select(c => c.Sequence));
        foreach (var (batch, b) in batches.Select((batch, b) => (batch, b)))
        {
            Assert.Equal(Enumerable.Range(0, 5).Select(i => $"batch {b} chunk {i}\n"), batch.Select(c => c.Text));
            Assert.Equal(Enumerable.Range((int)batch[0].Sequence, 5).Select(i => (long)i), batch.Select(c => c.Sequence));
            Assert.Equal(batch, stored.Skip((int)batch[0].Sequence - 1).Take(5));
        }
        Assert.Empty(await temp.Store.AppendLogAsync(job.Id, [], Ct));
    }

    [Theory, Stores]
    public async Task Reading_a_log_after_a_sequence_gives_the_rest_in_order(StoreKind kind)
    {
        var (temp, user) = await StoreWithUserAsync(kind);
        await using var _ = temp;
        var job = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
        foreach (var text in new[] { "a\n", "b", "c\r\n", "" })
        {
            await temp.Store.AppendLogAsync(job.Id, text, Ct);
        }

        Assert.Equal([new LogChunk(3, "c\r\n"), new LogChunk(4, "")], await temp.Store.ReadLogAsync(job.Id, 2, Ct).ToListAsync(Ct));
        Assert.Empty(await temp.Store.ReadLogAsync(job.Id, 4, Ct).ToListAsync(Ct));
    }

    [Theory]
    [Stores(511)]
    [Stores(512)]
    [Stores(513)]
    [Stores(1500)]
    public async Task A_long_log_reads_back_whole_across_page_boundaries(StoreKind kind, int count)
    {
        var (temp, user) = await StoreWithUserAsync(kind);
        await using var _ = temp;
        var job = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
        for (var i = 1; i <= count; i++)
        {
            await temp.Store.AppendLogAsync(job.Id, $"{i}\n", Ct);
        }

        var all = await temp.Store.ReadLogAsync(job.Id, 0, Ct).ToListAsync(Ct);
        var tail = await temp.Store.ReadLogAsync(job.Id, 10, Ct).ToListAsync(Ct);

        Assert.Equal(Enumerable.Range(1, count).Select(i => new LogChunk(i, $"{i}\n")), all);
        Assert.Equal(all.Skip(10), tail);
    }

    [Theory, Stores]
    public async Task Finish_sets_the_result_once_and_a_second_finish_gets_null(StoreKind kind)
    {
        var (temp, user) = await StoreWithUserAsync(kind);
        await using var _ = temp;
        var job = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
        await temp.Store.ClaimNextQueuedJobAsync(Ct);
        temp.Clock.Advance(TimeSpan.FromSeconds(3));

        var cancelled = await temp.Store.FinishJobAsync(job.Id, JobStatus.Cancelled, false, "Cancelled by user", Ct);
        var runnerFinish = await temp.Store.FinishJobAsync(job.Id, JobStatus.Completed, true, null, Ct);

        Assert.Equal(JobStatus.Cancelled, cancelled!.Status);
        Assert.False(cancelled.Success);
        Assert.Equal("Cancelled by user", cancelled.Reason);
        Assert.Equal(temp.Clock.GetUtcNow().UtcDateTime, cancelled.EndTime);
        Assert.Null(runnerFinish);
        Assert.Equal(cancelled, await temp.Store.GetJobAsync(job.Id, Ct));
    }

    [Theory, Stores]
    public async Task A_queued_job_can_be_finished_without_ever_starting(StoreKind kind)
    {
        var (temp, user) = await StoreWithUserAsync(kind);
        await using var _ = temp;
        var job = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);

        var cancelled = await temp.Store.FinishJobAsync(job.Id, JobStatus.Cancelled, false, "Cancelled by user", Ct);

        Assert.Null(cancelled!.StartTime);
        Assert.NotNull(cancelled.EndTime);
        Assert.Null(await temp.Store.ClaimNextQueuedJobAsync(Ct));
    }

    [Theory, Stores]
    public async Task Success_is_stored_as_given(StoreKind kind)
    {
        var (temp, user) = await StoreWithUserAsync(kind);
        await using var _ = temp;
        var passed = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
        var failed = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);

        await temp.Store.FinishJobAsync(passed.Id, JobStatus.Completed, true, null, Ct);
        await temp.Store.FinishJobAsync(failed.Id, JobStatus.Completed, false, null, Ct);

        Assert.True((await temp.Store.GetJobAsync(passed.Id, Ct))!.Success);
        Assert.False((await temp.Store.GetJobAsync(failed.Id, Ct))!.Success);
    }

    [Theory]
    [Stores(JobStatus.Queued)]
    [Stores(JobStatus.Running)]
    public async Task Finishing_with_a_status_that_is_not_final_is_a_programming_error(StoreKind kind, JobStatus status)
    {
        await using var temp = await TempStore.CreateAsync(kind);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => temp.Store.FinishJobAsync(Guid.NewGuid(), status, false, null, Ct));
    }

    [Theory, Stores]
    public async Task Interrupted_running_jobs_fail_with_the_reason_in_their_log(StoreKind kind)
    {
        var (temp, user) = await StoreWithUserAsync(kind);
        await using var _ = temp;
        var running = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
        var queued = await temp.Store.CreateJobAsync(Guid.NewGuid(), user.Id, temp.WriteUpload(), Ct);
        await temp.Store.ClaimNextQueuedJobAsync(Ct);
        await temp.Store.AppendLogAsync(running.Id, "Running tests...\n", Ct);

        await temp.ReopenAsync();
        var failed = await temp.Store.FailInterruptedJobsAsync("Server restarted while the job was running", Ct);

        Assert.Equal([running.Id], failed);
        var job = await temp.Store.GetJobAsync(running.Id, Ct);
        Assert.Equal(JobStatus.Failed, job!.Status);
        Assert.False(job.Success);
        Assert.Equal("Server restarted while the job was running", job.Reason);
        Assert.NotNull(job.EndTime);
        Assert.Equal(
            [new LogChunk(1, "Running tests...\n"), new LogChunk(2, "Server restarted while the job was running\n")],
            await temp.Store.ReadLogAsync(running.Id, 0, Ct).ToListAsync(Ct));
        Assert.Equal(JobStatus.Queued, (await temp.Store.GetJobAsync(queued.Id, Ct))!.Status);
        Assert.Empty(await temp.Store.FailInterruptedJobsAsync("again", Ct));
    }
}
