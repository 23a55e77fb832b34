using Ci.Core.Protocol;

namespace Ci.Server.Sharding;

/// <summary>
/// Merges test reports: a run's report with its retries' (<see cref="Retries"/>), then the shards' reports into the
/// job's one report (<see cref="Shards"/>). Per shard first, then across shards, because each shard retries its own
/// failures after its own run.
/// </summary>
public static class TestReportMerge
{
    /// <summary>
    /// A run with its retries: each test of <paramref name="main"/> that failed or errored takes the outcome of its last
    /// attempt (retry runs are in order; a test is in the retries it ran in). One that failed and then passed is flaky,
    /// keeps its first failure's message (why it flaked) and counts as passed. Tests only in retries are ignored: a
    /// retry runs the main run's failures and nothing else. Duration: the run's plus every retry's, which run one after another.
    /// </summary>
    public static MergedReport Retries(TestReport main, IReadOnlyList<TestReport> retries)
    {
        var attemptsByName = new Dictionary<string, List<TestCaseResult>>(StringComparer.Ordinal);
        foreach (var retry in retries)
        {
            foreach (var test in retry.Tests)
            {
                if (!attemptsByName.TryGetValue(test.Name, out var attempts)) attemptsByName[test.Name] = attempts = [];
                attempts.Add(test);
            }
        }
        int passed = main.Passed, failed = main.Failed, skipped = main.Skipped, flaky = 0;
        var tests = new List<MergedTest>(main.Tests.Count);
        foreach (var first in main.Tests)
        {
            if (!IsFailure(first.Outcome) || !attemptsByName.TryGetValue(first.Name, out var later))
            {
                tests.Add(MergedTest.From(first));
                continue;
            }
            var last = later[^1];
            var isFlaky = last.Outcome == TestOutcome.Passed;
            // The counts move with the final outcome: they also cover tests a truncated report does not list.
            failed--;
            if (IsFailure(last.Outcome)) failed++;
            else if (last.Outcome == TestOutcome.Passed) passed++;
            else skipped++;
            if (isFlaky) flaky++;
            tests.Add(new MergedTest(first.Name, last.Outcome, last.TimeSeconds, isFlaky ? first.Message : last.Message, isFlaky, 1 + later.Count));
        }
        var duration = main.DurationSeconds + retries.Sum(retry => retry.DurationSeconds);
        return new MergedReport(passed, failed, skipped, flaky, duration, main.Truncated, tests);
    }

    /// <summary>
    /// The shards' reports as one: each test once (the first shard's entry when ids repeat, which a plan never does),
    /// in shard order; counts summed; truncated when any shard's was; the duration is the longest shard's, since
    /// shards run side by side. A shard without a report (it crashed) is simply absent: its exit code fails the job.
    /// </summary>
    public static MergedReport Shards(IReadOnlyList<MergedReport> shards)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var tests = new List<MergedTest>(shards.Sum(shard => shard.Tests.Count));
        foreach (var shard in shards)
        {
            foreach (var test in shard.Tests)
            {
                if (seen.Add(test.Name)) tests.Add(test);
            }
        }
        return new MergedReport(
            shards.Sum(shard => shard.Passed), shards.Sum(shard => shard.Failed), shards.Sum(shard => shard.Skipped),
            shards.Sum(shard => shard.Flaky), shards.Count == 0 ? 0 : shards.Max(shard => shard.DurationSeconds),
            shards.Any(shard => shard.Truncated), tests);
    }

    /// <summary>Shards that were not retried.</summary>
    public static MergedReport Shards(IReadOnlyList<TestReport> shards) => Shards([.. shards.Select(MergedReport.From)]);

    private static bool IsFailure(TestOutcome outcome) => outcome is TestOutcome.Failed or TestOutcome.Error;
}

/// <summary>A merged test report: <see cref="TestReport"/> plus flaky tests.</summary>
/// <param name="Passed">Tests that passed, in the end (flaky ones included).</param>
/// <param name="Failed">Tests still failing or erroring after every attempt.</param>
/// <param name="Skipped">Tests skipped.</param>
/// <param name="Flaky">Tests that failed and then passed.</param>
/// <param name="DurationSeconds">The wall time of the test runs, in seconds.</param>
/// <param name="Truncated">True when a report had more tests than it lists: the counts are still whole.</param>
/// <param name="Tests">Each test once.</param>
public sealed record MergedReport(
    int Passed, int Failed, int Skipped, int Flaky, double DurationSeconds, bool Truncated, IReadOnlyList<MergedTest> Tests)
{
    /// <summary>A report with no retries.</summary>
    public static MergedReport From(TestReport report) =>
        new(report.Passed, report.Failed, report.Skipped, 0, report.DurationSeconds, report.Truncated, [.. report.Tests.Select(MergedTest.From)]);

    /// <summary>The protocol's report, with its flaky extension fields.</summary>
    public TestReport ToTestReport() =>
        new(Passed, Failed, Skipped, DurationSeconds, Truncated, [.. Tests.Select(test => new TestCaseResult(test.Name, test.Outcome, test.TimeSeconds, test.Message)
        {
            Flaky = test.Flaky,
            Attempts = test.Attempts > 1 ? test.Attempts : null,
        })]) { Flaky = Flaky };
}

/// <summary>One test of a <see cref="MergedReport"/>.</summary>
/// <param name="Name">Its id.</param>
/// <param name="Outcome">How its last attempt ended.</param>
/// <param name="TimeSeconds">Its last attempt's time, in seconds.</param>
/// <param name="Message">The last attempt's message; for a flaky test, the first failure's.</param>
/// <param name="Flaky">True when it failed and then passed.</param>
/// <param name="Attempts">How many times it ran (1 without retries).</param>
public sealed record MergedTest(string Name, TestOutcome Outcome, double TimeSeconds, string? Message, bool Flaky, int Attempts)
{
    /// <summary>A test that ran once.</summary>
    public static MergedTest From(TestCaseResult test) => new(test.Name, test.Outcome, test.TimeSeconds, test.Message, false, 1);
}
