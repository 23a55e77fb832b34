using Ci.Core.Protocol;
using Ci.Server.Runner;
using Ci.Server.Tests.Runner;
using Ci.Store;

namespace Ci.Server.Tests.Sharding;

/// <summary>
/// Real sharded jobs on a real runner: one job, its shards side by side, one prefixed log, one merged report, one
/// result; and the jobs that cannot be sharded run as usual with one line saying why.
/// </summary>
public class ShardedJobTests
{
    static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>Test files holding <paramref name="count"/> tests in all, four per file; one may fail.</summary>
    static Dictionary<string, string> Suite(int count, string? failing = null)
    {
        var files = new Dictionary<string, string>();
        for (var i = 0; i < count; i++)
        {
            var file = $"tests/test_part{i / 4}.py";
            var body = $"test_{i}" == failing ? "    assert 1 + 1 == 3\n" : "    assert True\n";
            files[file] = files.GetValueOrDefault(file, "") + $"def test_{i}():\n{body}\n";
        }
        return files;
    }

    static async Task<Guid> SubmitShardedAsync(RunnerHarness harness, Dictionary<string, string> files, int? shards, string? project = "shop")
    {
        // The API does the same: settings first, then the job (its runner reads them when it runs the tests).
        var jobId = await harness.SubmitAsync(files, notify: false);
        await harness.Store.SaveJobShardingAsync(jobId, new JobSharding(shards, project), Token);
        harness.Jobs.JobQueued(jobId);
        return jobId;
    }

    [Theory]
    [MemberData(nameof(JobRunnerTests.Modes), MemberType = typeof(JobRunnerTests))]
    public async Task Four_shards_give_one_job_with_prefixed_lines_and_a_merged_report(string name, SandboxMode sandbox)
    {
        _ = name;
        await using var harness = await RunnerHarness.CreateAsync(sandbox);
        await harness.StartAsync();
        var jobId = await SubmitShardedAsync(harness, Suite(12), shards: 4);

        var job = await harness.WaitForEndAsync(jobId);

        var log = await harness.ReadLogAsync(jobId);
        Assert.True((job.Status, job.Success) == (JobStatus.Completed, true), log);
        Assert.Contains("Sharding 12 tests into 4 shards, balanced by the recorded durations of 0 of them.\n", log);
        for (var shard = 1; shard <= 4; shard++) Assert.Matches($@"(?m)^\[{shard}/4\] tests/test_part\d\.py::test_\d+ PASSED", log);
        Assert.Contains("4 shards ended in", log);
        var report = await harness.Store.GetTestReportAsync(jobId, Token);
        Assert.NotNull(report);
        Assert.Equal(12, report.Passed);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"tests/test_part{i / 4}.py::test_{i}").Order(), report.Tests.Select(test => test.Name).Order());
        var durations = await harness.Store.GetTestDurationsAsync(harness.User.Id, "shop", Token);
        Assert.Equal(12, durations.Count);
    }

    [Fact]
    public async Task Shards_are_parts_that_free_slots_take_each_in_a_workspace_of_its_own()
    {
        await using var harness = await RunnerHarness.CreateAsync(concurrency: 4);
        await harness.StartAsync();
        // Each test says where it runs: a part on another slot has a workspace (and process) of its own.
        var files = Enumerable.Range(0, 4).ToDictionary(i => $"tests/test_where_{i}.py", i =>
            "import os, time\n\ndef test_where(capsys):\n    time.sleep(0.5)\n    with capsys.disabled():\n        print('cwd=' + os.getcwd() + ' job=' + os.environ['CI_JOB_ID'])\n");
        var jobId = await SubmitShardedAsync(harness, files, shards: 4);

        var job = await harness.WaitForEndAsync(jobId);

        var log = await harness.ReadLogAsync(jobId);
        Assert.True((job.Status, job.Success) == (JobStatus.Completed, true), log);
        var places = System.Text.RegularExpressions.Regex.Matches(log, @"(?m)^\[(\d)/4\] .*?cwd=(\S+) job=(\S+)").Select(m => (Shard: m.Groups[1].Value, Cwd: m.Groups[2].Value, Job: m.Groups[3].Value)).ToList();
        Assert.Equal(["1", "2", "3", "4"], places.Select(p => p.Shard).Order());
        Assert.True(places.Select(p => p.Cwd).Distinct().Count() > 1, log);
        Assert.All(places, p => Assert.Equal(jobId.ToString("D"), p.Job));
        // A part on another slot sets itself up, and says so with its prefix.
        Assert.Matches(@"(?m)^\[\d/4\] Running tests\.\.\.$", log);
        Assert.Equal(4, (await harness.Store.GetTestReportAsync(jobId, Token))!.Passed);
    }

    [Fact]
    public async Task On_a_single_slot_the_jobs_own_runner_takes_every_part_in_turn()
    {
        await using var harness = await RunnerHarness.CreateAsync(concurrency: 1);
        await harness.StartAsync();
        var jobId = await SubmitShardedAsync(harness, Suite(8), shards: 4);

        var job = await harness.WaitForEndAsync(jobId);

        var log = await harness.ReadLogAsync(jobId);
        Assert.True((job.Status, job.Success) == (JobStatus.Completed, true), log);
        for (var shard = 1; shard <= 4; shard++) Assert.Matches($@"(?m)^\[{shard}/4\] tests/test_part\d\.py::test_\d+ PASSED", log);
        Assert.DoesNotMatch(@"(?m)^\[\d/4\] Running tests", log);
        Assert.Equal(4, (await harness.Store.GetJobPartsAsync(jobId, Token)).Count(part => part.Result is { ExitCode: 0 }));
    }

    [Fact]
    public async Task A_failing_test_in_one_shard_fails_the_job_and_the_next_job_uses_the_recorded_durations()
    {
        await using var harness = await RunnerHarness.CreateAsync();
        await harness.StartAsync();
        var failed = await SubmitShardedAsync(harness, Suite(8, failing: "test_5"), shards: 2);
        var failedJob = await harness.WaitForEndAsync(failed);

        var log = await harness.ReadLogAsync(failed);
        Assert.True((failedJob.Status, failedJob.Success) == (JobStatus.Completed, false), log);
        Assert.Matches(@"(?m)^\[[12]/2\] tests/test_part1\.py::test_5 FAILED", log);
        Assert.Matches(@"2 shards ended in [0-9.]+ s; failed: shard [12]\.\n", log);
        var report = await harness.Store.GetTestReportAsync(failed, Token);
        Assert.Equal((7, 1), (report!.Passed, report.Failed));

        var next = await SubmitShardedAsync(harness, Suite(8), shards: 2);
        await harness.WaitForEndAsync(next);
        Assert.Contains("balanced by the recorded durations of 8 of them", await harness.ReadLogAsync(next));
    }

    [Fact]
    public async Task Fewer_tests_than_shards_run_in_as_many_shards_as_tests()
    {
        await using var harness = await RunnerHarness.CreateAsync();
        await harness.StartAsync();
        var jobId = await SubmitShardedAsync(harness, Suite(3), shards: 8);

        var job = await harness.WaitForEndAsync(jobId);

        var log = await harness.ReadLogAsync(jobId);
        Assert.True(job.Success, log);
        Assert.Contains("Sharding 3 tests into 3 shards (fewer tests than the 8 shards asked for)", log);
        Assert.DoesNotContain("[4/", log);
        Assert.Equal(3, (await harness.Store.GetTestReportAsync(jobId, Token))!.Passed);
    }

    [Fact]
    public async Task A_project_without_tests_or_with_a_collection_error_runs_unsharded_and_says_why()
    {
        await using var harness = await RunnerHarness.CreateAsync();
        await harness.StartAsync();
        var empty = await SubmitShardedAsync(harness, new() { ["README.md"] = "no tests here\n" }, shards: 4);
        var broken = await SubmitShardedAsync(harness, new() { ["test_ok.py"] = "def test_ok():\n    pass\n", ["test_broken.py"] = "def test_broken(:\n" }, shards: 4);

        var emptyJob = await harness.WaitForEndAsync(empty);
        var brokenJob = await harness.WaitForEndAsync(broken);

        var emptyLog = await harness.ReadLogAsync(empty);
        Assert.Contains("Not sharded: no tests collected; running the tests in one process.\n", emptyLog);
        Assert.Contains("no tests ran", emptyLog);
        Assert.Equal(JobStatus.Completed, emptyJob.Status);
        var brokenLog = await harness.ReadLogAsync(broken);
        Assert.Contains("Not sharded: test collection failed (errors while collecting); running the tests in one process.\n", brokenLog);
        Assert.Contains("SyntaxError", brokenLog);
        Assert.DoesNotContain("[1/", brokenLog);
        Assert.Equal((JobStatus.Completed, (bool?)false), (brokenJob.Status, brokenJob.Success));
    }

    [Fact]
    public async Task The_projects_own_shards_setting_shards_a_job_whose_submission_did_not_say()
    {
        await using var harness = await RunnerHarness.CreateAsync();
        await harness.StartAsync();
        var files = Suite(6);
        files["ci.toml"] = "shards = 3\nname = \"from-toml\"\n";
        var jobId = await harness.SubmitAsync(files);

        var job = await harness.WaitForEndAsync(jobId);

        var log = await harness.ReadLogAsync(jobId);
        Assert.True(job.Success, log);
        Assert.Contains("Sharding 6 tests into 3 shards", log);
        Assert.Equal(6, (await harness.Store.GetTestDurationsAsync(harness.User.Id, "from-toml", Token)).Count);
    }
}
