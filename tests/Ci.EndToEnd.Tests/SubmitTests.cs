using System.Text.Json;
using System.Text.RegularExpressions;
using Ci.EndToEnd.Tests.Infrastructure;
using Ci.Tests.Shared;

namespace Ci.EndToEnd.Tests;

/// <summary>`ci submit test`, `ci wait` and `ci list` over the real binaries and a real server.</summary>
public sealed partial class SubmitTests(SharedSystem shared) : IClassFixture<SharedSystem>
{
    private CiSystem System => shared.System;

    [Theory, Stores]
    public async Task Passing_project_streams_its_log_to_stdout_and_exits_zero(StoreKind kind)
    {
        var system = await shared.GetAsync(kind);
        var project = system.Project("passing");
        File.WriteAllText(Path.Combine(project, ".env"), "SECRET=1\n");
        Directory.CreateDirectory(Path.Combine(project, ".hidden"));
        File.WriteAllText(Path.Combine(project, ".hidden", "secret.txt"), "secret\n");
        Directory.CreateDirectory(Path.Combine(project, "__pycache__"));
        File.WriteAllText(Path.Combine(project, "__pycache__", "junk.pyc"), "x");

        var result = await system.Ci(project, "submit", "test");

        Assert.True(result.ExitCode == 0, result.ToString());
        var id = JobIdFromStderr(result.Stderr);
        Assert.Contains($"You can reconnect from another terminal with: ci wait {id}", result.Stderr);
        Assert.Contains("Installing dependencies...", result.Stdout);
        Assert.Contains("Running tests...", result.Stdout);
        Assert.Contains("test_ok.py::test_one PASSED", result.Stdout);
        Assert.Contains("test_exclusions.py::test_hidden_and_pycache_files_were_not_uploaded PASSED", result.Stdout);
    }

    [Theory, Stores]
    public async Task Submit_prints_exactly_the_stored_log_byte_for_byte(StoreKind kind)
    {
        var system = await shared.GetAsync(kind);
        var project = system.Project("passing");

        var submitted = await system.Ci(project, "submit", "test");
        var replayed = await system.Ci(project, "wait", JobIdFromStderr(submitted.Stderr), "--all");

        Assert.Equal(0, replayed.ExitCode);
        Assert.Equal(submitted.Stdout, replayed.Stdout);
    }

    [Theory]
    [Stores("failing", "completed", "arithmetic is broken")]
    [Stores("syntax_error", "completed", "SyntaxError")]
    [Stores("bad_requirements", "failed", "this-package-does-not-exist")]
    public async Task Unsuccessful_jobs_exit_one_with_the_status_the_protocol_defines(StoreKind kind, string fixture, string status, string logText)
    {
        var system = await shared.GetAsync(kind);
        var result = await system.Ci(system.Project(fixture), "submit", "test");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.True(result.Stdout.Contains(logText, StringComparison.Ordinal), result.ToString());
        var job = await system.JobAsync(JobIdFromStderr(result.Stderr));
        Assert.Equal(status, job.GetProperty("status").GetString());
        Assert.False(job.GetProperty("success").GetBoolean());
    }

    [Theory, Stores]
    public async Task Async_submit_prints_the_job_id_and_wait_all_replays_the_whole_log(StoreKind kind)
    {
        var system = await shared.GetAsync(kind);
        var project = system.Project("passing");

        var submitted = await system.Ci(project, "submit", "test", "--async");

        Assert.Equal(0, submitted.ExitCode);
        var match = CiSystem.JobSubmittedPattern().Match(submitted.Stdout);
        Assert.True(match.Success, submitted.ToString());
        var waited = await system.Ci(project, "wait", match.Groups[1].Value, "--all");
        Assert.True(waited.ExitCode == 0, waited.ToString());
        Assert.StartsWith("Installing dependencies...", waited.Stdout);
        Assert.Contains("PASSED", waited.Stdout);
    }

    [Theory, Stores]
    public async Task Forward_only_wait_on_an_ended_job_says_it_already_completed(StoreKind kind)
    {
        var system = await shared.GetAsync(kind);
        var project = system.Project("failing");
        var submitted = await system.Ci(project, "submit", "test");

        var waited = await system.Ci(project, "wait", JobIdFromStderr(submitted.Stderr));

        Assert.Equal(1, waited.ExitCode);
        Assert.Equal("Job already completed.\n", waited.Stdout);
    }

    [Theory, Stores]
    public async Task Log_lines_reach_the_client_while_the_job_is_still_running(StoreKind kind)
    {
        var system = await shared.GetAsync(kind);
        var project = system.Project("slow");
        File.WriteAllText(Path.Combine(project, "duration.txt"), "4");

        using var ci = system.StartCi(project, ["submit", "test"]);
        await ci.WaitForOutputAsync((stdout, _) => stdout.Contains("tick 1"), TimeSpan.FromSeconds(60));

        Assert.False(ci.HasExited, "the first lines arrived only after the job had ended");
        var result = await ci.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, result.ExitCode);
    }

    [Theory, Stores]
    public async Task Wait_on_an_unknown_job_says_not_found(StoreKind kind)
    {
        var system = await shared.GetAsync(kind);
        var result = await system.Ci(system.Root, "wait", Guid.NewGuid().ToString());

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Error", result.Stderr);
        Assert.Contains("not found", result.Stderr);
    }

    [Theory, Stores]
    public async Task Wait_on_another_users_job_says_not_found(StoreKind kind)
    {
        var system = await shared.GetAsync(kind);
        var id = await system.SubmitAsyncAsync(system.Project("passing"));
        await system.Admin("user", "create", "--name", "Other", "--email", "other@example.com").ExpectSuccess();
        var otherKey = await system.CreateKeyAsync("other@example.com");

        var result = await system.StartCi(system.Root, ["wait", id, "--all"], new Dictionary<string, string?> { ["CI_API_KEY"] = otherKey })
            .WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("not found", result.Stderr);
    }

    [Fact]
    public async Task Missing_api_key_gives_the_exact_error()
    {
        var result = await System.StartCi(System.Root, ["list"], new Dictionary<string, string?> { ["CI_API_KEY"] = null })
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(
            "Error: Authentication failed: API key is required. Set CI_API_KEY environment variable, use --api-key flag, or configure in ~/.ci/config",
            result.Stderr);
    }

    [Fact]
    public async Task Api_key_flag_wins_over_the_environment()
    {
        var result = await System.Ci(System.Root, "list", "--api-key", "ci_" + new string('x', 40));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Error: Authentication failed: 401 Unauthorized", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Theory, Stores]
    public async Task List_shows_the_callers_jobs_as_a_table_and_as_json(StoreKind kind)
    {
        var system = await shared.GetAsync(kind);
        var submitted = await system.Ci(system.Project("passing"), "submit", "test");
        var id = JobIdFromStderr(submitted.Stderr);

        var table = await system.Ci(system.Root, "list");
        var json = await system.Ci(system.Root, "list", "--json");

        Assert.Equal(0, table.ExitCode);
        var lines = table.Stdout.Split('\n');
        // A job with a test report adds the TESTS column (passed/failed/skipped).
        Assert.Matches(@"^JOB ID\s+STATUS\s+START TIME\s+END TIME\s+SUCCESS\s+TESTS P/F/S\s*$", lines[0]);
        Assert.Matches("^-{20,}$", lines[1]);
        Assert.Matches($@"^{id}\s+completed\s+\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d\s+\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d\s+✓\s+\d+/0/\d+\s*$",
            lines.Single(l => l.StartsWith(id, StringComparison.Ordinal)));
        Assert.Equal(0, json.ExitCode);
        using var doc = JsonDocument.Parse(json.Stdout);
        var job = doc.RootElement.EnumerateArray().Single(j => j.GetProperty("job_id").GetString() == id);
        Assert.Equal(["job_id", "status", "success", "start_time", "end_time"], job.EnumerateObject().Select(p => p.Name).Take(5));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", job.GetProperty("end_time").GetString());
        Assert.Contains("\n  {", json.Stdout);
    }

    [Fact]
    public async Task Version_prints_a_version_and_exits_zero()
    {
        var result = await System.Ci(System.Root, "--version");

        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"\d+\.\d+\.\d+", result.Stdout);
    }

    internal static string JobIdFromStderr(string stderr)
    {
        var match = JobIdPattern().Match(stderr);
        Assert.True(match.Success, "no 'Job ID:' line on stderr:\n" + stderr);
        return match.Groups[1].Value;
    }

    [GeneratedRegex(@"^Job ID: ([0-9a-f-]{36})$", RegexOptions.Multiline)]
    private static partial Regex JobIdPattern();
}
