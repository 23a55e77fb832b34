using System.Diagnostics;
using Ci.Core.Protocol;
using Ci.Server.Runner;

namespace Ci.Server.Tests.Runner;

/// <summary>Timeouts, cancels and shutdown kill every process of a job, including ones that left its session.</summary>
public class JobStopTests(ITestOutputHelper output)
{
    public static TheoryData<string, SandboxMode> Modes => JobRunnerTests.Modes;

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_job_over_its_time_limit_fails_and_leaves_no_process_behind(string name, SandboxMode sandbox)
    {
        // The limit covers the whole job, environment set-up included: on a loaded 2-core machine that alone can take
        // seconds, so the limit leaves room for the job to reach its children before it is stopped.
        await using var harness = await RunnerHarness.CreateAsync(sandbox, timeout: TimeSpan.FromSeconds(12));
        await harness.StartAsync();
        var marker = $"timeout-{Guid.NewGuid():N}";
        var jobId = await harness.SubmitAsync(Projects.SpawnsLongLivedChildren(marker));
        await WaitForAsync(() => RunnerHarness.ProcessesWith(marker).Count == 2, "both children started");

        var job = await harness.WaitForEndAsync(jobId);

        Assert.Equal((JobStatus.Failed, (bool?)false), (job.Status, job.Success));
        Assert.EndsWith("Job timed out after 12 seconds.\n", await harness.ReadLogAsync(jobId));
        Assert.Empty(RunnerHarness.ProcessesWith(marker));
        output.WriteLine($"{name}: ok");
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Cancel_kills_the_whole_process_tree_and_leaves_the_cancelled_record(string name, SandboxMode sandbox)
    {
        await using var harness = await RunnerHarness.CreateAsync(sandbox);
        await harness.StartAsync();
        var marker = $"cancel-{Guid.NewGuid():N}";
        var jobId = await harness.SubmitAsync(Projects.SpawnsLongLivedChildren(marker));
        await WaitForAsync(() => RunnerHarness.ProcessesWith(marker).Count == 2, "both children started");

        // What the API does: the store first, then the runner.
        var cancelled = await harness.Store.FinishJobAsync(jobId, JobStatus.Cancelled, false, "Cancelled by user", TestContext.Current.CancellationToken);
        Assert.NotNull(cancelled);
        var clock = Stopwatch.StartNew();
        Assert.True(harness.Jobs.Cancel(jobId));
        await harness.Runner.WhenDone(jobId)!.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        output.WriteLine($"{name}: job tree killed and cleaned up {clock.ElapsedMilliseconds} ms after Cancel");

        Assert.Empty(RunnerHarness.ProcessesWith(marker));
        var job = await harness.Store.GetJobAsync(jobId, TestContext.Current.CancellationToken);
        Assert.Equal(cancelled, job);
        Assert.DoesNotContain(harness.Sink.Events, e => e.Finished is not null);
        Assert.False(harness.Jobs.Cancel(jobId), "a job no longer running cannot be cancelled here");
    }

    [Fact]
    public async Task Shutdown_stops_running_jobs_after_the_grace_period_and_keeps_queued_ones_queued()
    {
        var harness = await RunnerHarness.CreateAsync(concurrency: 1, grace: TimeSpan.FromMilliseconds(500));
        await using (harness)
        {
            await harness.StartAsync();
            var marker = $"shutdown-{Guid.NewGuid():N}";
            var running = await harness.SubmitAsync(Projects.SpawnsLongLivedChildren(marker));
            var queued = await harness.SubmitAsync(Projects.Passing);
            await WaitForAsync(() => RunnerHarness.ProcessesWith(marker).Count == 2, "both children started");

            var clock = Stopwatch.StartNew();
            await harness.Runner.StopAsync(TestContext.Current.CancellationToken);

            Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(5));
            var job = await harness.WaitForEndAsync(running, seconds: 1);
            Assert.Equal((JobStatus.Failed, (bool?)false), (job.Status, job.Success));
            Assert.EndsWith("Server shutting down: job stopped.\n", await harness.ReadLogAsync(running));
            Assert.Empty(RunnerHarness.ProcessesWith(marker));
            Assert.Equal(JobStatus.Queued, (await harness.Store.GetJobAsync(queued, TestContext.Current.CancellationToken))!.Status);
        }
    }

    [Fact]
    public async Task Shutdown_lets_a_job_that_ends_within_the_grace_period_complete()
    {
        await using var harness = await RunnerHarness.CreateAsync(grace: TimeSpan.FromSeconds(20));
        await harness.StartAsync();
        var jobId = await harness.SubmitAsync(Projects.WithSessionStart("print('started', flush=True)\ntime.sleep(1)"));
        await WaitForAsync(() => harness.Sink.PublishedText(jobId).Contains("started"), "the job started");

        await harness.Runner.StopAsync(TestContext.Current.CancellationToken);

        var job = await harness.WaitForEndAsync(jobId, seconds: 1);
        Assert.Equal((JobStatus.Completed, (bool?)true), (job.Status, job.Success));
    }

    internal static async Task WaitForAsync(Func<bool> condition, string what, int seconds = 30)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(seconds)) Assert.Fail($"Timed out waiting until {what}.");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}
