using System.Text.Json;
using System.Text.RegularExpressions;
using Ci.EndToEnd.Tests.Infrastructure;
using Ci.Tests.Shared;

namespace Ci.EndToEnd.Tests;

/// <summary>
/// <c>ci submit test --shards N</c> over the real binaries on a 4-slot server: one job id, one log whose lines say
/// their shard, one merged report, one exit code; and the projects that cannot be sharded still run.
/// </summary>
public sealed partial class ShardingTests(SharedSystem shared) : IClassFixture<SharedSystem>
{
    /// <summary>A project of <paramref name="count"/> tests, four per file; <paramref name="failing"/> fails.</summary>
    private static string Suite(CiSystem system, int count, string? failing = null)
    {
        var folder = Path.Combine(system.Root, "projects", "sharded-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(folder, "tests"));
        for (var file = 0; file * 4 < count; file++)
        {
            var body = string.Concat(Enumerable.Range(file * 4, Math.Min(4, count - file * 4)).Select(i =>
                $"def test_{i}():\n    assert {(failing == $"test_{i}" ? "1 + 1 == 3" : "True")}\n\n"));
            File.WriteAllText(Path.Combine(folder, "tests", $"test_part{file}.py"), body);
        }
        return folder;
    }

    private static string JobId(ProcessResult result) =>
        Regex.Match(result.Stderr, "Job ID: ([0-9a-f-]{36})") is { Success: true } match ? match.Groups[1].Value : throw new InvalidOperationException("No job id:\n" + result);

    [Theory, Stores]
    public async Task Four_shards_give_one_job_one_prefixed_log_one_merged_report_and_exit_zero(StoreKind kind)
    {
        var system = await shared.GetAsync(kind);
        var project = Suite(system, 16);

        var result = await system.Ci(project, "submit", "test", "--shards", "4");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Single(Regex.Matches(result.Stderr, "Job ID: "));
        Assert.Contains("Sharding 16 tests into 4 shards", result.Stdout);
        for (var shard = 1; shard <= 4; shard++)
            Assert.Matches($@"(?m)^\[{shard}/4\] tests/test_part\d\.py::test_\d+ PASSED", result.Stdout);
        var id = JobId(result);
        var report = await system.Ci(project, "tests", id, "--json").ExpectSuccess();
        using var json = JsonDocument.Parse(report.Stdout);
        var names = json.RootElement.GetProperty("tests").EnumerateArray().Select(test => test.GetProperty("name").GetString()).ToList();
        Assert.Equal(16, names.Count);
        Assert.Equal(16, names.Distinct().Count());
        Assert.Equal(16, json.RootElement.GetProperty("passed").GetInt32());
        var slowest = await system.Ci(project, "tests", id, "--slowest", "3").ExpectSuccess();
        Assert.Equal(3, slowest.Stdout.Split('\n').Count(line => line.StartsWith("PASSED", StringComparison.Ordinal)));
    }

    [Theory, Stores]
    public async Task A_failing_test_in_one_shard_fails_the_job_with_exit_one(StoreKind kind)
    {
        var system = await shared.GetAsync(kind);
        var project = Suite(system, 8, failing: "test_6");

        var result = await system.Ci(project, "submit", "test", "--shards", "4");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Matches(@"(?m)^\[[1-4]/4\] tests/test_part1\.py::test_6 FAILED", result.Stdout);
        var job = await system.JobAsync(JobId(result));
        Assert.Equal("completed", job.GetProperty("status").GetString());
        Assert.False(job.GetProperty("success").GetBoolean());
    }

    [Theory, Stores]
    public async Task Fewer_tests_than_shards_and_no_tests_at_all_still_run(StoreKind kind)
    {
        var system = await shared.GetAsync(kind);
        var few = Suite(system, 2);
        var none = Path.Combine(system.Root, "projects", "no-tests-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(none);
        File.WriteAllText(Path.Combine(none, "README.md"), "nothing to test\n");
        // Sharding asked for in the project's settings, not on the command line.
        File.WriteAllText(Path.Combine(none, "ci.toml"), "shards = 4\n");

        var fewResult = await system.Ci(few, "submit", "test", "--shards", "4");
        var noneResult = await system.Ci(none, "submit", "test");

        Assert.True(fewResult.ExitCode == 0, fewResult.ToString());
        Assert.Contains("Sharding 2 tests into 2 shards (fewer tests than the 4 shards asked for)", fewResult.Stdout);
        Assert.DoesNotContain("[3/", fewResult.Stdout);
        Assert.Contains("Not sharded: no tests collected; running the tests in one process.", noneResult.Stdout);
        Assert.Contains("no tests ran", noneResult.Stdout);
        Assert.Equal(1, noneResult.ExitCode);
    }

    [Theory]
    [InlineData("0", "--shards must be a whole number from 1 to 64.")]
    [InlineData("65", "--shards must be a whole number from 1 to 64.")]
    public async Task Shards_out_of_range_is_one_line_and_exit_two(string shards, string message)
    {
        var system = shared.System;

        var result = await system.Ci(Suite(system, 1), "submit", "test", "--shards", shards);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(message, result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }
}
