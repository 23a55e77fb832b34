using Ci.Core.Protocol;

namespace Ci.Server.Reruns;

/// <summary>Which tests a rerun with <c>--failed</c> runs.</summary>
public static class RerunSelection
{
    /// <summary>The ids of the tests that failed or errored in <paramref name="report"/>, each once, in report order.</summary>
    public static IReadOnlyList<string> FailedTests(TestReport report) =>
        [.. report.Tests.Where(test => test.Outcome is TestOutcome.Failed or TestOutcome.Error).Select(test => test.Name).Distinct(StringComparer.Ordinal)];
}
