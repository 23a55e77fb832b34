using Ci.Core.Protocol;
using Ci.Server.Sharding;

namespace Ci.Server.Tests.Sharding;

public class TestReportMergeTests
{
    static TestCaseResult Passed(string name, double time = 1) => new(name, TestOutcome.Passed, time);
    static TestCaseResult Failed(string name, string message = "assert 1 == 2", double time = 1) => new(name, TestOutcome.Failed, time, message);
    static TestCaseResult Errored(string name) => new(name, TestOutcome.Error, 0.1, "fixture 'db' not found");
    static TestCaseResult Skipped(string name) => new(name, TestOutcome.Skipped, 0, "no network");

    static TestReport Report(double duration, params TestCaseResult[] tests) => new(
        tests.Count(test => test.Outcome == TestOutcome.Passed),
        tests.Count(test => test.Outcome is TestOutcome.Failed or TestOutcome.Error),
        tests.Count(test => test.Outcome == TestOutcome.Skipped),
        duration, false, tests);

    [Fact]
    public void Shards_merge_into_one_report_holding_each_test_once_with_the_longest_shards_time()
    {
        var merged = TestReportMerge.Shards([
            Report(4.0, Passed("a.py::t1"), Failed("a.py::t2")),
            Report(6.5, Passed("b.py::t1"), Skipped("b.py::t2")),
            Report(1.0, Errored("c.py::t1")),
        ]);

        Assert.Equal((2, 2, 1, 0), (merged.Passed, merged.Failed, merged.Skipped, merged.Flaky));
        Assert.Equal(6.5, merged.DurationSeconds);
        Assert.Equal(["a.py::t1", "a.py::t2", "b.py::t1", "b.py::t2", "c.py::t1"], merged.Tests.Select(test => test.Name));
        Assert.All(merged.Tests, test => Assert.Equal((false, 1), (test.Flaky, test.Attempts)));
        Assert.False(merged.Truncated);
    }

    [Fact]
    public void Shard_counts_are_summed_even_beyond_a_truncated_list()
    {
        var truncated = new TestReport(5000, 3, 0, 10, true, [Passed("a.py::t1")]);

        var merged = TestReportMerge.Shards([truncated, Report(2, Passed("b.py::t1"))]);

        Assert.Equal((5001, 3, 0), (merged.Passed, merged.Failed, merged.Skipped));
        Assert.True(merged.Truncated);
        Assert.Equal(2, merged.Tests.Count);
    }

    [Fact]
    public void No_shard_reports_merge_into_an_empty_report()
    {
        var merged = TestReportMerge.Shards(Array.Empty<TestReport>());

        Assert.Equal((0, 0, 0, 0, 0.0), (merged.Passed, merged.Failed, merged.Skipped, merged.Flaky, merged.DurationSeconds));
        Assert.Empty(merged.Tests);
    }

    [Fact]
    public void A_test_that_failed_and_then_passed_is_flaky_with_its_attempts_and_first_failure()
    {
        var main = Report(10, Passed("t::ok"), Failed("t::flaky", "Timeout talking to db"), Failed("t::broken", "assert 1 == 2"));
        var retry1 = Report(2, Failed("t::flaky", "Connection reset"), Failed("t::broken", "assert 1 == 2 again"));
        var retry2 = Report(1.5, Passed("t::flaky", 0.7), Failed("t::broken", "assert 1 == 2 still"));

        var merged = TestReportMerge.Retries(main, [retry1, retry2]);

        Assert.Equal((2, 1, 0, 1), (merged.Passed, merged.Failed, merged.Skipped, merged.Flaky));
        Assert.Equal(13.5, merged.DurationSeconds);
        Assert.Equal(
            [
                new MergedTest("t::ok", TestOutcome.Passed, 1, null, false, 1),
                new MergedTest("t::flaky", TestOutcome.Passed, 0.7, "Timeout talking to db", true, 3),
                new MergedTest("t::broken", TestOutcome.Failed, 1, "assert 1 == 2 still", false, 3),
            ],
            merged.Tests);
    }

    [Fact]
    public void An_error_that_passes_on_retry_is_flaky_too()
    {
        var merged = TestReportMerge.Retries(Report(1, Errored("t::setup")), [Report(1, Passed("t::setup"))]);

        Assert.Equal((1, 0, 1), (merged.Passed, merged.Failed, merged.Flaky));
        Assert.True(merged.Tests.Single().Flaky);
    }

    [Fact]
    public void A_failure_skipped_on_retry_counts_as_skipped_not_flaky()
    {
        var merged = TestReportMerge.Retries(Report(1, Failed("t::x")), [Report(1, Skipped("t::x"))]);

        Assert.Equal((0, 0, 1, 0), (merged.Passed, merged.Failed, merged.Skipped, merged.Flaky));
        Assert.Equal(new MergedTest("t::x", TestOutcome.Skipped, 0, "no network", false, 2), merged.Tests.Single());
    }

    [Fact]
    public void Passing_tests_and_tests_only_in_retries_are_left_as_the_main_run_reported_them()
    {
        var main = Report(3, Passed("t::a"), Failed("t::b"));

        var merged = TestReportMerge.Retries(main, [Report(1, Failed("t::a"), Passed("t::stranger"))]);

        Assert.Equal((1, 1, 0), (merged.Passed, merged.Failed, merged.Flaky));
        Assert.Equal(["t::a", "t::b"], merged.Tests.Select(test => test.Name));
        Assert.All(merged.Tests, test => Assert.Equal(1, test.Attempts));
    }

    [Fact]
    public void Retried_shards_merge_with_their_flaky_counts_and_convert_back_to_the_protocols_report()
    {
        var shard1 = TestReportMerge.Retries(Report(5, Failed("a::t")), [Report(1, Passed("a::t"))]);
        var shard2 = TestReportMerge.Retries(Report(4, Passed("b::t"), Failed("b::u")), []);

        var merged = TestReportMerge.Shards([shard1, shard2]);
        var report = merged.ToTestReport();

        Assert.Equal((2, 1, 0, 1, 6.0), (merged.Passed, merged.Failed, merged.Skipped, merged.Flaky, merged.DurationSeconds));
        Assert.Equal("2 passed, 1 failed, 0 skipped, 1 flaky in 6.0s", report.SummaryLine());
        Assert.Equal([TestOutcome.Passed, TestOutcome.Passed, TestOutcome.Failed], report.Tests.Select(test => test.Outcome));
        Assert.Equal([(true, (int?)2), (false, null), (false, null)], report.Tests.Select(test => (test.Flaky, test.Attempts)));
    }
}
