using Ci.Core.Protocol;

namespace Ci.Server.Tests.Runner;

public class JobQueueTests
{
    [Fact]
    public async Task Jobs_left_queued_before_start_run_oldest_first_one_at_a_time_with_concurrency_one()
    {
        await using var harness = await RunnerHarness.CreateAsync(concurrency: 1);
        // Queued while no runner was up (a previous server process): nobody calls JobQueued for them.
        var first = await harness.SubmitAsync(Projects.WithSessionStart("time.sleep(0.5)"), notify: false);
        var second = await harness.SubmitAsync(Projects.Passing, notify: false);

        await harness.StartAsync();
        var secondJob = await harness.WaitForEndAsync(second);
        var firstJob = await harness.WaitForEndAsync(first);

        Assert.Equal(JobStatus.Completed, firstJob.Status);
        Assert.Equal(JobStatus.Completed, secondJob.Status);
        Assert.True(secondJob.StartTime >= firstJob.EndTime, $"second started {secondJob.StartTime:O}, first ended {firstJob.EndTime:O}");
        var events = harness.Sink.Events.ToList();
        var firstEnded = events.FindIndex(e => e.JobId == first && e.Finished is not null);
        var secondBegan = events.FindIndex(e => e.JobId == second);
        Assert.True(firstEnded < secondBegan, "the second job's output comes after the first job ended");
    }

    [Fact]
    public async Task Two_slots_run_two_jobs_at_the_same_time()
    {
        await using var harness = await RunnerHarness.CreateAsync(concurrency: 2);
        await harness.StartAsync();
        var project = Projects.WithSessionStart("print('started', flush=True)\ntime.sleep(1.5)");
        var first = await harness.SubmitAsync(project);
        var second = await harness.SubmitAsync(project);

        await JobStopTests.WaitForAsync(
            () => harness.Sink.PublishedText(first).Contains("started") && harness.Sink.PublishedText(second).Contains("started"),
            "both jobs run");

        Assert.DoesNotContain(harness.Sink.Events, e => e.Finished is not null);
        await harness.WaitForEndAsync(first);
        await harness.WaitForEndAsync(second);
    }

    [Fact]
    public async Task A_job_queued_while_the_runner_idles_starts_without_waiting()
    {
        await using var harness = await RunnerHarness.CreateAsync(concurrency: 1);
        await harness.StartAsync();
        await Task.Delay(200, TestContext.Current.CancellationToken);

        var jobId = await harness.SubmitAsync(Projects.Passing);

        var job = await harness.WaitForEndAsync(jobId, seconds: 20);
        Assert.Equal(JobStatus.Completed, job.Status);
        // The runner's fallback poll runs every 5 s: a job claimed well before that was woken by the queue signal.
        // (A tighter bound measures the machine's load, not the runner.)
        Assert.True(job.StartTime - job.CreatedAt < TimeSpan.FromSeconds(4), $"claimed {job.StartTime - job.CreatedAt} after it was queued");
    }
}
