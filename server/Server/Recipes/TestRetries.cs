using Ci.Core.Protocol;
using Ci.Server.Reruns;
using Ci.Server.Sharding;

namespace Ci.Server.Recipes;

/// <summary>
/// Retries of failed tests (<c>retries = N</c>, <c>--retries N</c>): after the main run, the tests that failed or
/// errored run again by id in the same workspace, up to N times, each time only those still failing. A test that
/// failed and then passed is flaky (<see cref="TestReportMerge.Retries"/>); the job passes when nothing still fails.
/// </summary>
internal static class TestRetries
{
    /// <summary>One run of the given tests: its exit code (null when the job was stopped) and its report.</summary>
    public delegate Task<(int? Code, TestReport? Report)> RunTests(IReadOnlyList<string> testIds, CancellationToken cancellationToken);

    /// <summary>The job's result after the retries; null when the job was stopped.</summary>
    public static async Task<(bool Passed, TestReport Report)?> RunAsync(
        int mainCode, TestReport main, int retries, RunTests run, Func<string, Task> writeStatus, CancellationToken cancellationToken)
    {
        var failing = RerunSelection.FailedTests(main);
        var attempts = new List<TestReport>();
        var lastCode = mainCode;
        for (var retry = 1; retry <= retries && failing.Count > 0; retry++)
        {
            var noun = failing.Count == 1 ? "test" : "tests";
            await writeStatus($"Retrying {failing.Count} failed {noun} (retry {retry} of {retries})...\n");
            var (code, report) = await run(failing, cancellationToken);
            if (code is not { } exitCode) return null;
            // A retry without a report tells nothing about the tests: what failed stays failed.
            if (report is null) break;
            attempts.Add(report);
            lastCode = exitCode;
            failing = RerunSelection.FailedTests(report);
        }
        if (attempts.Count == 0) return (mainCode == 0, main);
        var merged = TestReportMerge.Retries(main, attempts).ToTestReport();
        return (merged.Failed == 0 && lastCode == 0, merged);
    }
}
