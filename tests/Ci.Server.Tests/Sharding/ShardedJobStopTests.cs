using Ci.Core.Protocol;
using Ci.Server.Tests.Runner;
using Ci.Store;

namespace Ci.Server.Tests.Sharding;

/// <summary>
/// A sharded job's stop reaches every part, wherever it runs: the job's own runner and the slots that took its other
/// parts, on cancel and on the job's time limit; nothing a part started is left.
/// </summary>
public class ShardedJobStopTests
{
    static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>Three tests, each waiting on a child process whose command line carries <paramref name="mark"/>.</summary>
    static Dictionary<string, string> Waiting(string mark) => Enumerable.Range(0, 3).ToDictionary(i => $"tests/test_wait_{i}.py", i =>
        $"import subprocess, sys\n\ndef test_wait():\n    subprocess.run([sys.executable, '-c', 'import time; time.sleep(120)', '{mark}-{i}'])\n");

    static async Task<Guid> SubmitShardedAsync(RunnerHarness harness, Dictionary<string, string> files)
    {
        var jobId = await harness.SubmitAsync(files, notify: false);
        await harness.Store.SaveJobShardingAsync(jobId, new JobSharding(3, "stops"), Token);
        harness.Jobs.JobQueued(jobId);
        return jobId;
    }

    static async Task WaitUntilAsync(Func<bool> condition, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Timed out waiting for: " + what);
            await Task.Delay(50, Token);
        }
    }

    [Fact]
    public async Task A_cancel_stops_the_job_and_every_part_on_other_slots_and_leaves_no_process()
    {
        await using var harness = await RunnerHarness.CreateAsync(concurrency: 3);
        await harness.StartAsync();
        var mark = "ci-shard-cancel-" + Guid.NewGuid().ToString("N")[..8];
        var jobId = await SubmitShardedAsync(harness, Waiting(mark));
        await WaitUntilAsync(() => RunnerHarness.ProcessesWith(mark).Count == 3, "every shard's test running");
        var parts = await harness.Store.GetJobPartsAsync(jobId, Token);
        Assert.All(parts, part => Assert.Equal(JobPartStatuses.Running, part.Status));

        // What the API's cancel does: the store first, then this process's runner.
        await harness.Store.CancelJobAsync(jobId, "Cancelled by the test", "Job cancelled.\n", Token);
        Assert.True(harness.Jobs.Cancel(jobId));

        await WaitUntilAsync(() => RunnerHarness.ProcessesWith(mark).Count == 0, "no process of any shard left", 30);
        Assert.Equal(JobStatus.Cancelled, (await harness.Store.GetJobAsync(jobId, Token))!.Status);
        Assert.DoesNotContain(await harness.Store.GetJobPartsAsync(jobId, Token), part => part.Result is not null);
    }

    [Fact]
    public async Task The_jobs_time_limit_stops_its_parts_on_other_slots_too()
    {
        await using var harness = await RunnerHarness.CreateAsync(concurrency: 3, timeout: TimeSpan.FromSeconds(15));
        await harness.StartAsync();
        var mark = "ci-shard-timeout-" + Guid.NewGuid().ToString("N")[..8];
        var jobId = await SubmitShardedAsync(harness, Waiting(mark));
        await WaitUntilAsync(() => RunnerHarness.ProcessesWith(mark).Count == 3, "every shard's test running");

        var job = await harness.WaitForEndAsync(jobId);

        Assert.Equal((JobStatus.Failed, false), (job.Status, job.Success));
        Assert.Contains("timed out", job.Reason, StringComparison.OrdinalIgnoreCase);
        await WaitUntilAsync(() => RunnerHarness.ProcessesWith(mark).Count == 0, "no process of any shard left", 30);
    }
}
