using Ci.Core.Protocol;
using Ci.Server.Runner;
using Ci.Server.Tests.Runner;

namespace Ci.Server.Tests.Recipes;

/// <summary>Project settings as a job meets them: bad ones stop it before anything runs; good ones stay inside the sandbox.</summary>
public class ProjectConfigJobTests
{
    static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("ci.toml", "tset = \"pytest\"\n", "Bad configuration: ci.toml: key 'tset': unknown setting (known: install, test, env, timeout, shards, retries, services, artifacts, name).")]
    [InlineData("ci.toml", "timeout = \"ten\"\n", "Bad configuration: ci.toml: key 'timeout': expected a whole number of seconds, got a string (\"ten\").")]
    [InlineData("pyproject.toml", "[tool.ci]\ninstall = \"touch installed\"\n", "Bad configuration: pyproject.toml: key 'tool.ci.install': expected a list of commands, got a string (\"touch installed\").")]
    [InlineData("ci.toml", "env = { PATH = \"/tmp\" }\n", "Bad configuration: ci.toml: key 'env': variable 'PATH' is set by the CI itself and cannot be changed.")]
    public async Task A_bad_setting_fails_the_job_at_once_with_one_line_and_nothing_runs(string file, string content, string expected)
    {
        await using var harness = await RunnerHarness.CreateAsync();
        await harness.StartAsync();
        var files = Projects.WithSessionStart("open('session-started', 'w').close()");
        files[file] = content;

        var jobId = await harness.SubmitAsync(files);
        var job = await harness.WaitForEndAsync(jobId);

        var log = await harness.ReadLogAsync(jobId);
        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Equal(expected, job.Reason);
        Assert.Equal(expected + "\n", log);
        Assert.Null(await harness.Store.GetTestReportAsync(jobId, Token));
    }

    [Fact]
    public async Task A_malformed_pyproject_fails_the_job_naming_the_file_and_line()
    {
        await using var harness = await RunnerHarness.CreateAsync();
        await harness.StartAsync();
        var files = Projects.Passing;
        files["pyproject.toml"] = "[project]\nname = \"x\"\nversion = 1.0.0\n";

        var jobId = await harness.SubmitAsync(files);
        var job = await harness.WaitForEndAsync(jobId);

        Assert.StartsWith("Bad configuration: pyproject.toml: line 3 not valid TOML: ", job.Reason);
        Assert.DoesNotContain("Installing", await harness.ReadLogAsync(jobId));
    }

    [Fact]
    public async Task A_test_command_that_tries_to_leave_the_sandbox_finds_nothing_to_reach()
    {
        Assert.SkipUnless(RunnerOptions.BwrapWorks(), "bwrap is needed (apt-get install bubblewrap).");
        await using var harness = await RunnerHarness.CreateAsync(SandboxMode.Bwrap);
        await harness.StartAsync();
        var outsideMark = Path.Combine(harness.Directory, "escaped");
        var dataFolder = Path.GetDirectoryName(harness.DbPath)!;
        var files = Projects.Passing;
        // Each attempt reports itself; the command fails if any of them works.
        files["ci.toml"] = $$"""
            test = '''
            ls {{dataFolder}} && echo "SAW THE STORE";
            touch {{outsideMark}} && echo "WROTE OUTSIDE";
            cat /proc/1/environ | tr '\0' '\n' | grep -q CI_ && echo "READ THE SERVER ENVIRONMENT";
            echo x > /usr/escaped && echo "WROTE TO /usr";
            echo "attempts done"; exit 1
            '''
            """;

        var jobId = await harness.SubmitAsync(files);
        var job = await harness.WaitForEndAsync(jobId);

        var log = await harness.ReadLogAsync(jobId);
        Assert.False(job.Success);
        Assert.Contains("attempts done", log);
        Assert.DoesNotContain("SAW THE STORE", log);
        Assert.DoesNotContain("WROTE OUTSIDE", log);
        Assert.DoesNotContain("READ THE SERVER ENVIRONMENT", log);
        Assert.DoesNotContain("WROTE TO /usr", log);
        Assert.False(File.Exists(outsideMark));
    }

    [Fact]
    public async Task A_project_timeout_shorter_than_the_servers_stops_the_job()
    {
        await using var harness = await RunnerHarness.CreateAsync(timeout: TimeSpan.FromSeconds(120));
        await harness.StartAsync();
        var files = Projects.Passing;
        files["ci.toml"] = "timeout = 3\ntest = \"sleep 100\"\n";

        var jobId = await harness.SubmitAsync(files);
        var job = await harness.WaitForEndAsync(jobId, seconds: 60);

        Assert.Equal("Job timed out after 3 seconds.", job.Reason);
    }

    [Fact]
    public async Task A_report_file_replaced_by_a_link_to_a_server_file_is_not_read()
    {
        await using var harness = await RunnerHarness.CreateAsync();
        await harness.StartAsync();
        var secret = Path.Combine(harness.Directory, "secret.xml");
        await File.WriteAllTextAsync(secret, "<testsuite><testcase classname=\"SECRET\" name=\"leaked\"/></testsuite>", Token);
        var files = Projects.Passing;
        // The job's own pytest run ends by swapping its report for a link to a file only the server should read.
        files["ci.toml"] = $"test = '''python -m pytest; ln -sf {secret} \"$(dirname \"$VIRTUAL_ENV\").report/junit.xml\"'''\n";

        var jobId = await harness.SubmitAsync(files);
        await harness.WaitForEndAsync(jobId);

        var log = await harness.ReadLogAsync(jobId);
        Assert.Null(await harness.Store.GetTestReportAsync(jobId, Token));
        Assert.True(log.Contains("Test report: the test report is empty or not a regular file: not kept.", StringComparison.Ordinal), log);
    }
}
