using Ci.Core.Protocol;
using Ci.Server.Runner;

namespace Ci.Server.Tests.Runner;

public class JobRunnerTests
{
    public static TheoryData<string, SandboxMode> Modes => new()
    {
        { "none", SandboxMode.None },
        { "bwrap", SandboxMode.Bwrap },
    };

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Passing_tests_complete_with_success_and_the_protocol_log(string name, SandboxMode sandbox)
    {
        _ = name;
        await using var harness = await RunnerHarness.CreateAsync(sandbox);
        await harness.StartAsync();
        var jobId = await harness.SubmitAsync(Projects.Passing);

        var job = await harness.WaitForEndAsync(jobId);

        Assert.Equal((JobStatus.Completed, (bool?)true), (job.Status, job.Success));
        var log = await harness.ReadLogAsync(jobId);
        Assert.StartsWith("Installing dependencies...\nRunning tests...\n", log);
        Assert.Contains("test_ok.py::test_ok PASSED", log);
        Assert.Equal(log, harness.Sink.PublishedText(jobId));
        Assert.False(Directory.Exists(Path.Combine(harness.Options.WorkRoot, jobId.ToString())), "workspace is removed");
        Assert.Null(await harness.Store.OpenUploadAsync(jobId, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Failing_tests_complete_without_success()
    {
        await using var harness = await RunnerHarness.CreateAsync();
        await harness.StartAsync();
        var jobId = await harness.SubmitAsync(Projects.Failing);

        var job = await harness.WaitForEndAsync(jobId);

        Assert.Equal((JobStatus.Completed, (bool?)false), (job.Status, job.Success));
        Assert.Contains("assert (1 + 1) == 3", await harness.ReadLogAsync(jobId));
    }

    [Fact]
    public async Task A_syntax_error_in_the_tests_completes_without_success()
    {
        await using var harness = await RunnerHarness.CreateAsync();
        await harness.StartAsync();
        var jobId = await harness.SubmitAsync(Projects.SyntaxError);

        var job = await harness.WaitForEndAsync(jobId);

        Assert.Equal((JobStatus.Completed, (bool?)false), (job.Status, job.Success));
        Assert.Contains("SyntaxError", await harness.ReadLogAsync(jobId));
    }

    [Fact]
    public async Task Failed_dependency_install_fails_the_job_before_the_tests()
    {
        await using var harness = await RunnerHarness.CreateAsync();
        await harness.StartAsync();
        var jobId = await harness.SubmitAsync(Projects.MissingRequirement);

        var job = await harness.WaitForEndAsync(jobId);

        Assert.Equal((JobStatus.Failed, (bool?)false), (job.Status, job.Success));
        var log = await harness.ReadLogAsync(jobId);
        Assert.Contains("does-not-exist", log);
        Assert.DoesNotContain("Running tests...", log);
        Assert.EndsWith("Dependency installation failed (pip exit code 1).\n", log);
        Assert.Equal("Dependency installation failed (pip exit code 1).", job.Reason);
    }

    [Fact]
    public async Task An_upload_that_is_not_a_zip_fails_the_job()
    {
        await using var harness = await RunnerHarness.CreateAsync();
        await harness.StartAsync();
        var upload = Path.Combine(harness.Directory, "garbage.zip");
        await File.WriteAllTextAsync(upload, "this is not a zip", TestContext.Current.CancellationToken);
        var jobId = await harness.SubmitUploadAsync(upload);

        var job = await harness.WaitForEndAsync(jobId);

        Assert.Equal((JobStatus.Failed, (bool?)false), (job.Status, job.Success));
        Assert.StartsWith("Bad upload: ", (await harness.ReadLogAsync(jobId)).Split('\n')[^2]);
    }

    [Fact]
    public async Task An_upload_with_an_entry_leaving_the_workspace_fails_before_anything_runs()
    {
        await using var harness = await RunnerHarness.CreateAsync();
        await harness.StartAsync();
        var jobId = await harness.SubmitAsync(new Dictionary<string, string>
        {
            ["test_ok.py"] = "def test_ok():\n    pass\n",
            ["../escaped.py"] = "print('outside')\n",
        });

        var job = await harness.WaitForEndAsync(jobId);

        Assert.Equal((JobStatus.Failed, (bool?)false), (job.Status, job.Success));
        var log = await harness.ReadLogAsync(jobId);
        Assert.StartsWith("Bad upload: ", log);
        Assert.DoesNotContain("Installing dependencies", log);
        Assert.False(File.Exists(Path.Combine(harness.Options.WorkRoot, jobId.ToString(), "escaped.py")));
    }

    [Fact]
    public async Task Requirements_are_installed_into_the_job_environment()
    {
        await using var harness = await RunnerHarness.CreateAsync();
        await harness.StartAsync();
        var jobId = await harness.SubmitAsync(new Dictionary<string, string>
        {
            ["requirements.txt"] = "./tinypkg\n",
            ["tinypkg/setup.py"] = "from setuptools import setup\nsetup(name='tinypkg', version='0.1', py_modules=['tinymod'])\n",
            ["tinypkg/tinymod.py"] = "VALUE = 42\n",
            ["test_uses_it.py"] = "import tinymod, sys\n\ndef test_it():\n    assert tinymod.VALUE == 42\n    assert '/venv/' in tinymod.__file__\n",
        });

        var job = await harness.WaitForEndAsync(jobId);

        Assert.True(job.Success, await harness.ReadLogAsync(jobId));
    }

    [Fact]
    public async Task Stdout_and_stderr_arrive_merged_in_the_order_they_were_written()
    {
        await using var harness = await RunnerHarness.CreateAsync();
        await harness.StartAsync();
        var jobId = await harness.SubmitAsync(Projects.WithSessionStart(
            """
            for i in range(6):
                (sys.stdout if i % 2 == 0 else sys.stderr).write(f"line {i} on {'out' if i % 2 == 0 else 'err'}\n")
            """));

        await harness.WaitForEndAsync(jobId);

        var log = await harness.ReadLogAsync(jobId);
        var lines = log.Split('\n').Where(line => line.StartsWith("line ", StringComparison.Ordinal));
        Assert.Equal(["line 0 on out", "line 1 on err", "line 2 on out", "line 3 on err", "line 4 on out", "line 5 on err"], lines);
    }

    [Fact]
    public async Task Output_is_published_while_the_job_still_runs()
    {
        await using var harness = await RunnerHarness.CreateAsync();
        await harness.StartAsync();
        // The job never ends by itself: output seen while it still runs cannot have been published at its end,
        // however slow the machine is.
        var jobId = await harness.SubmitAsync(Projects.WithSessionStart(
            "print('early bird', end='')\ntime.sleep(300)"));

        await JobStopTests.WaitForAsync(() => harness.Sink.PublishedText(jobId).Contains("early bird"), "the early output is published", seconds: 60);

        Assert.DoesNotContain(harness.Sink.Events, e => e.JobId == jobId && e.Finished is not null);
        Assert.True(harness.Jobs.Cancel(jobId));
        await harness.Runner.WhenDone(jobId)!.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Multibyte_characters_split_across_reads_stay_whole()
    {
        await using var harness = await RunnerHarness.CreateAsync();
        await harness.StartAsync();
        // Each write is flushed on its own, so the pipe delivers the halves of one character in separate reads.
        var jobId = await harness.SubmitAsync(Projects.WithSessionStart(
            """
            data = "€ ✓ 𝄞".encode()
            for b in data:
                os.write(1, bytes([b]))
                time.sleep(0.01)
            os.write(1, b"\n")
            """));

        await harness.WaitForEndAsync(jobId);

        Assert.Contains("€ ✓ 𝄞\n", await harness.ReadLogAsync(jobId));
        Assert.DoesNotContain("\uFFFD", await harness.ReadLogAsync(jobId));
    }

    [Fact]
    public async Task Output_past_the_log_limit_is_dropped_with_one_marker_and_the_job_goes_on()
    {
        await using var harness = await RunnerHarness.CreateAsync(maxLogBytes: 1000);
        await harness.StartAsync();
        var jobId = await harness.SubmitAsync(Projects.WithSessionStart("for i in range(200):\n    print('x' * 49)"));

        var job = await harness.WaitForEndAsync(jobId);

        Assert.Equal((JobStatus.Completed, (bool?)true), (job.Status, job.Success));
        var log = await harness.ReadLogAsync(jobId);
        const string Marker = "[ci] Log limit of 1000 bytes reached; further output is dropped.\n";
        Assert.EndsWith(Marker, log);
        Assert.Equal(Marker.Length, log.Length - log.Replace(Marker, "").Length);
        var output = log.Replace("Installing dependencies...\n", "").Replace("Running tests...\n", "").Replace(Marker, "");
        Assert.InRange(System.Text.Encoding.UTF8.GetByteCount(output), 900, 1001);
        Assert.DoesNotContain("passed", log);
    }
}
