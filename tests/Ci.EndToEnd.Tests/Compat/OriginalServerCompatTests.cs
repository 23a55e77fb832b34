using System.IO.Compression;
using System.Text.Json;
using Ci.EndToEnd.Tests.Infrastructure;

namespace Ci.EndToEnd.Tests.Compat;

/// <summary>
/// Our published <c>ci</c> against original_server.py, a server that speaks only the original API: no
/// <c>id:</c> lines, no keep-alives, Python's JSON, FastAPI's errors. Its jobs are fake (see the script).
/// </summary>
public sealed class OriginalServerCompatTests
{
    private const string PassingLog = "Installing dependencies...\nRunning tests...\ntest_x.py::test_a PASSED\ntest_x.py::test_héllo PASSED\n";
    private const string FailingLog = "Installing dependencies...\nRunning tests...\ntest_x.py::test_a FAILED\n";

    [Fact]
    public async Task Submit_prints_the_log_exactly_and_the_job_id_on_stderr_and_exits_zero()
    {
        await using var server = await OriginalServer.StartAsync();
        var project = server.Project("passing");
        File.WriteAllText(Path.Combine(project, ".env"), "SECRET=1\n");
        Directory.CreateDirectory(Path.Combine(project, "__pycache__"));
        File.WriteAllText(Path.Combine(project, "__pycache__", "junk.pyc"), "x");

        var result = await server.Ci(project, ["submit", "test"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(PassingLog, result.Stdout);
        var id = SubmitTests.JobIdFromStderr(result.Stderr);
        Assert.Equal($"Job ID: {id}\nYou can reconnect from another terminal with: ci wait {id}\n\n", result.Stderr);
        using var upload = ZipFile.OpenRead(Path.Combine(server.Uploads, id + ".zip"));
        Assert.Equal(["test_exclusions.py", "test_ok.py"], upload.Entries.Select(e => e.FullName).Order());
    }

    [Fact]
    public async Task Submit_of_a_failing_job_prints_its_log_and_exits_one()
    {
        await using var server = await OriginalServer.StartAsync();
        var project = server.Project("passing");
        File.WriteAllText(Path.Combine(project, "EXPECT_FAILURE"), "");

        var result = await server.Ci(project, ["submit", "test"]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal(FailingLog, result.Stdout);
    }

    [Fact]
    public async Task Async_submit_prints_the_job_id_and_wait_all_replays_the_whole_log()
    {
        await using var server = await OriginalServer.StartAsync();
        var project = server.Project("passing");

        var submitted = await server.Ci(project, ["submit", "test", "--async"]);

        Assert.True(submitted.ExitCode == 0, submitted.ToString());
        var match = CiSystem.JobSubmittedPattern().Match(submitted.Stdout);
        Assert.True(match.Success, submitted.ToString());
        var waited = await server.Ci(project, ["wait", match.Groups[1].Value, "--all"]);
        Assert.True(waited.ExitCode == 0, waited.ToString());
        Assert.Equal(PassingLog, waited.Stdout);
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 1)]
    public async Task Forward_only_wait_on_an_ended_job_says_it_already_completed_and_exits_with_its_result(bool failing, int exitCode)
    {
        await using var server = await OriginalServer.StartAsync();
        var project = server.Project("passing");
        if (failing)
            File.WriteAllText(Path.Combine(project, "EXPECT_FAILURE"), "");
        var submitted = await server.Ci(project, ["submit", "test"]);

        var waited = await server.Ci(project, ["wait", SubmitTests.JobIdFromStderr(submitted.Stderr)]);

        Assert.True(waited.ExitCode == exitCode, waited.ToString());
        Assert.Equal("Job already completed.\n", waited.Stdout);
    }

    [Fact]
    public async Task Wait_on_an_unknown_job_says_not_found_and_exits_one()
    {
        await using var server = await OriginalServer.StartAsync();

        var result = await server.Ci(server.Root, ["wait", Guid.NewGuid().ToString(), "--all"]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("Error", result.Stderr);
        Assert.Contains("not found", result.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("", result.Stdout);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public async Task List_prints_the_seed_readme_table_byte_for_byte()
    {
        await using var server = await OriginalServer.StartAsync(seed: "readme");

        var result = await server.Ci(server.Root, ["list"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        // The seed README's example, in the order the server sent the jobs.
        Assert.Equal(
            """
            JOB ID                                 STATUS       START TIME             END TIME               SUCCESS
            --------------------------------------------------------------------------------------------------------------
            550e8400-e29b-41d4-a716-446655440000   completed    2025-10-13 10:30:00    2025-10-13 10:30:15    ✓
            7ad3f8c9-2b41-4e89-9c12-5a8e7b3d1f4e   running      2025-10-13 10:35:00    N/A                    -
            9f8c1e2a-4b7d-4c89-a231-8e5f6d3c2b1a   failed       2025-10-13 10:25:00    2025-10-13 10:25:08    ✗

            """.ReplaceLineEndings("\n"),
            result.Stdout);
    }

    [Fact]
    public async Task List_json_prints_the_jobs_as_the_original_client_did()
    {
        await using var server = await OriginalServer.StartAsync(seed: "readme");

        var result = await server.Ci(server.Root, ["list", "--json"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        // What Python's json.dumps(jobs, indent=2) prints for the server's array.
        Assert.Equal(
            """
            [
              {
                "job_id": "550e8400-e29b-41d4-a716-446655440000",
                "status": "completed",
                "success": true,
                "start_time": "2025-10-13T10:30:00Z",
                "end_time": "2025-10-13T10:30:15Z"
              },
              {
                "job_id": "7ad3f8c9-2b41-4e89-9c12-5a8e7b3d1f4e",
                "status": "running",
                "success": null,
                "start_time": "2025-10-13T10:35:00Z",
                "end_time": null
              },
              {
                "job_id": "9f8c1e2a-4b7d-4c89-a231-8e5f6d3c2b1a",
                "status": "failed",
                "success": false,
                "start_time": "2025-10-13T10:25:00Z",
                "end_time": "2025-10-13T10:25:08Z"
              }
            ]

            """.ReplaceLineEndings("\n"),
            result.Stdout);
    }

    [Fact]
    public async Task List_accepts_times_with_fractional_seconds()
    {
        await using var server = await OriginalServer.StartAsync(seed: "microseconds");

        var table = await server.Ci(server.Root, ["list"]);
        var json = await server.Ci(server.Root, ["list", "--json"]);

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("550e8400-e29b-41d4-a716-446655440000   completed    2025-10-13 10:30:00    2025-10-13 10:30:15    ✓\n", table.Stdout);
        Assert.True(json.ExitCode == 0, json.ToString());
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.Equal(3, doc.RootElement.GetArrayLength());
    }

    [Fact]
    public async Task List_with_no_jobs_says_so()
    {
        await using var server = await OriginalServer.StartAsync();

        var result = await server.Ci(server.Root, ["list"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("No jobs found.\n", result.Stdout);
    }

    [Theory]
    [InlineData("list", "401 Unauthorized")]
    [InlineData("submit", "401 Unauthorized")]
    [InlineData("wait", "401 Unauthorized")]
    [InlineData("list", "403 Forbidden")]
    public async Task A_rejected_key_gives_the_authentication_error_and_exits_one(string command, string status)
    {
        await using var server = await OriginalServer.StartAsync();
        var project = server.Project("passing");
        string[] args = command switch
        {
            "submit" => ["submit", "test"],
            "wait" => ["wait", Guid.NewGuid().ToString()],
            _ => ["list"],
        };
        var key = status.StartsWith("403", StringComparison.Ordinal) ? OriginalServer.InactiveKey : "ci_" + new string('x', 40);

        var result = await server.Ci(project, args, key);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains($"Error: Authentication failed: {status}", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.Empty(Directory.GetFiles(server.Uploads));
    }
}
