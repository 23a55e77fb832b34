using System.Text.Json;
using Ci.EndToEnd.Tests.Infrastructure;
using Ci.Tests.Shared;

namespace Ci.EndToEnd.Tests;

/// <summary>Retries and flaky tests, <c>ci rerun</c>, <c>ci flaky</c> and the failure-first ending, over the real binaries.</summary>
public sealed class RerunTests(SharedSystem shared) : IClassFixture<SharedSystem>
{
    // Fails on its first run in a workspace and passes after: the counter lives beside it, in the job's workspace.
    private const string FlakyTest = """
        import pathlib


        def test_steady():
            assert True


        def test_flaky_once():
            counter = pathlib.Path(__file__).with_name("attempts.txt")
            runs = int(counter.read_text()) if counter.exists() else 0
            counter.write_text(str(runs + 1))
            assert runs > 0, "fails on its first run only"
        """;

    private const string FlakyName = "test_flaky.py::test_flaky_once";

    [Fact]
    public async Task A_test_that_fails_once_passes_on_retry_the_job_passes_and_ci_flaky_lists_it()
    {
        var system = shared.System;
        var project = NewProject(system, ("test_flaky.py", FlakyTest));

        var result = await system.Ci(project, "submit", "test", "--retries", "2");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Retrying 1 failed test (retry 1 of 2)...", result.Stdout);
        Assert.Matches(@"^2 passed, 0 failed, 0 skipped, 1 flaky in \d+\.\ds$", LastLine(result.Stderr));
        var id = SubmitTests.JobIdFromStderr(result.Stderr);
        using (var report = JsonDocument.Parse((await system.Ci(project, "tests", id, "--json").ExpectSuccess()).Stdout))
        {
            Assert.Equal(1, report.RootElement.GetProperty("flaky").GetInt32());
            var flaky = Test(report, FlakyName);
            Assert.True(flaky.GetProperty("flaky").GetBoolean());
            Assert.Equal(2, flaky.GetProperty("attempts").GetInt32());
            Assert.Equal("passed", flaky.GetProperty("outcome").GetString());
            Assert.False(Test(report, "test_flaky.py::test_steady").TryGetProperty("flaky", out _));
        }

        var listed = await system.Ci(project, "flaky").ExpectSuccess();
        Assert.Contains(FlakyName, listed.Stdout);
        using var json = JsonDocument.Parse((await system.Ci(project, "flaky", "--json").ExpectSuccess()).Stdout);
        var entry = json.RootElement.EnumerateArray().First(test => test.GetProperty("name").GetString() == FlakyName);
        Assert.True(entry.GetProperty("times").GetInt32() >= 1);
    }

    [Fact]
    public async Task Retries_come_from_the_project_settings_too()
    {
        var system = shared.System;
        var project = NewProject(system, ("test_flaky.py", FlakyTest), ("ci.toml", "retries = 1\n"));

        var result = await system.Ci(project, "submit", "test");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(", 1 flaky in ", LastLine(result.Stderr));
    }

    [Fact]
    public async Task A_failed_job_ends_failure_first_on_stderr_with_message_counts_and_the_rerun_hint()
    {
        var system = shared.System;
        var project = system.Project("failing");

        var submitted = await system.Ci(project, "submit", "test");
        var id = SubmitTests.JobIdFromStderr(submitted.Stderr);
        var waited = await system.Ci(project, "wait", id, "--all");

        foreach (var result in new[] { submitted, waited })
        {
            Assert.True(result.ExitCode == 1, result.ToString());
            var err = result.Stderr;
            var failed = err.IndexOf("FAILED test_bad.py::test_fails\n", StringComparison.Ordinal);
            var message = err.IndexOf("arithmetic is broken", StringComparison.Ordinal);
            var counts = err.IndexOf("1 passed, 1 failed, 0 skipped in ", StringComparison.Ordinal);
            Assert.True(failed >= 0 && failed < message && message < counts, err);
            Assert.Equal($"Rerun the failed tests with: ci rerun {id} --failed", LastLine(err));
            Assert.DoesNotContain("arithmetic is broken", result.Stderr[counts..]);
        }
    }

    [Theory, Stores]
    public async Task Rerun_from_an_empty_folder_runs_the_stored_tree_again_failed_tests_only_or_all(StoreKind kind)
    {
        var system = await shared.GetAsync(kind);
        var first = await system.Ci(system.Project("failing"), "submit", "test");
        var id = SubmitTests.JobIdFromStderr(first.Stderr);
        var empty = Directory.CreateDirectory(Path.Combine(system.Root, "empty-" + Guid.NewGuid().ToString("N")[..8])).FullName;

        var failedOnly = await system.Ci(empty, "rerun", id, "--failed");

        Assert.True(failedOnly.ExitCode == 1, failedOnly.ToString());
        var rerunId = SubmitTests.JobIdFromStderr(failedOnly.Stderr);
        Assert.NotEqual(id, rerunId);
        Assert.Contains("You can reconnect from another terminal with: ci wait " + rerunId, failedOnly.Stderr);
        Assert.Contains("test_bad.py::test_fails FAILED", failedOnly.Stdout);
        Assert.DoesNotContain("test_passes", failedOnly.Stdout);
        Assert.Equal($"Rerun the failed tests with: ci rerun {rerunId} --failed", LastLine(failedOnly.Stderr));
        Assert.Equal(["test_bad.py::test_fails"], await TestNamesAsync(system, rerunId));

        var started = await system.Ci(empty, "rerun", id, "--async");

        Assert.True(started.ExitCode == 0, started.ToString());
        var match = CiSystem.JobSubmittedPattern().Match(started.Stdout);
        Assert.True(match.Success, started.ToString());
        var waited = await system.Ci(empty, "wait", match.Groups[1].Value, "--all");
        Assert.Equal(1, waited.ExitCode);
        Assert.Equal(["test_bad.py::test_fails", "test_bad.py::test_passes"], (await TestNamesAsync(system, match.Groups[1].Value)).Order());
    }

    [Fact]
    public async Task Rerun_of_another_users_job_says_job_not_found()
    {
        var system = shared.System;
        var id = await system.SubmitAsyncAsync(system.Project("passing"));
        var email = $"rerun-{Guid.NewGuid():N}@example.com";
        await system.Admin("user", "create", "--name", "Other", "--email", email).ExpectSuccess();
        var otherKey = await system.CreateKeyAsync(email);

        var result = await system.StartCi(system.Root, ["rerun", id], new Dictionary<string, string?> { ["CI_API_KEY"] = otherKey })
            .WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"Job not found: {id}", result.Stderr);
    }

    [Fact]
    public async Task Rerun_after_the_tree_is_gone_says_submit_again()
    {
        await using var system = await CiSystem.StartAsync("--keep-trees-hours", "0");
        var done = await system.Ci(system.Project("passing"), "submit", "test");
        var id = SubmitTests.JobIdFromStderr(done.Stderr);

        var result = await system.Ci(system.Root, "rerun", id);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("The tree of this job is no longer kept; submit again.", result.Stderr);
    }

    private static string NewProject(CiSystem system, params (string Name, string Text)[] files)
    {
        var folder = Directory.CreateDirectory(Path.Combine(system.Root, "projects", "rerun-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        foreach (var (name, text) in files) File.WriteAllText(Path.Combine(folder, name), text);
        return folder;
    }

    private static string LastLine(string text) => text.TrimEnd('\n').Split('\n')[^1];

    private static JsonElement Test(JsonDocument report, string name) =>
        report.RootElement.GetProperty("tests").EnumerateArray().Single(test => test.GetProperty("name").GetString() == name);

    private static async Task<List<string>> TestNamesAsync(CiSystem system, string jobId)
    {
        using var report = JsonDocument.Parse((await system.Ci(system.Root, "tests", jobId, "--json").ExpectSuccess()).Stdout);
        return [.. report.RootElement.GetProperty("tests").EnumerateArray().Select(test => test.GetProperty("name").GetString()!)];
    }
}
