using Ci.Core.Protocol;
using Ci.Server.Recipes;

namespace Ci.Server.Tests.Recipes;

/// <summary>The retry loop of the test step: what runs again, when it stops, and what the job becomes.</summary>
public class TestRetriesTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    static TestCaseResult Case(string name, TestOutcome outcome) => new(name, outcome, 0.1, outcome == TestOutcome.Passed ? null : "why");

    static TestReport Report(params TestCaseResult[] tests) => new(
        tests.Count(t => t.Outcome == TestOutcome.Passed), tests.Count(t => t.Outcome is TestOutcome.Failed or TestOutcome.Error),
        tests.Count(t => t.Outcome == TestOutcome.Skipped), 1.0, false, tests);

    [Fact]
    public async Task Failed_tests_run_again_until_none_fails_and_a_test_that_then_passed_is_flaky()
    {
        var main = Report(Case("t::a", TestOutcome.Passed), Case("t::b", TestOutcome.Failed), Case("t::c", TestOutcome.Error));
        var runs = new List<IReadOnlyList<string>>();
        var answers = new Queue<(int?, TestReport?)>([
            (1, Report(Case("t::b", TestOutcome.Passed), Case("t::c", TestOutcome.Failed))),
            (0, Report(Case("t::c", TestOutcome.Passed))),
        ]);
        var status = new List<string>();

        var result = await TestRetries.RunAsync(1, main, 5, (ids, _) => { runs.Add(ids); return Task.FromResult(answers.Dequeue()); },
            text => { status.Add(text); return Task.CompletedTask; }, Ct);

        Assert.Equal([["t::b", "t::c"], ["t::c"]], runs);
        Assert.Equal(["Retrying 2 failed tests (retry 1 of 5)...\n", "Retrying 1 failed test (retry 2 of 5)...\n"], status);
        var (passed, report) = result!.Value;
        Assert.True(passed);
        Assert.Equal((3, 0, 2), (report.Passed, report.Failed, report.Flaky));
        Assert.Equal((true, (int?)3), (report.Tests[2].Flaky, report.Tests[2].Attempts));
    }

    [Fact]
    public async Task A_test_failing_every_time_fails_the_job_after_the_last_retry()
    {
        var main = Report(Case("t::b", TestOutcome.Failed));
        var count = 0;

        var result = await TestRetries.RunAsync(1, main, 2, (_, _) => { count++; return Task.FromResult<(int?, TestReport?)>((1, main)); }, _ => Task.CompletedTask, Ct);

        Assert.Equal(2, count);
        Assert.False(result!.Value.Passed);
        Assert.Equal((1, 0), (result.Value.Report.Failed, result.Value.Report.Flaky));
        Assert.Equal(3, result.Value.Report.Tests[0].Attempts);
    }

    [Fact]
    public async Task A_passing_run_is_not_retried_and_a_stopped_retry_stops_the_job()
    {
        var passing = Report(Case("t::a", TestOutcome.Passed));
        var untouched = await TestRetries.RunAsync(0, passing, 3, (_, _) => throw new InvalidOperationException("no retry"), _ => Task.CompletedTask, Ct);
        Assert.Equal((true, passing), untouched!.Value);

        var stopped = await TestRetries.RunAsync(1, Report(Case("t::b", TestOutcome.Failed)), 3,
            (_, _) => Task.FromResult<(int?, TestReport?)>((null, null)), _ => Task.CompletedTask, Ct);
        Assert.Null(stopped);
    }
}
