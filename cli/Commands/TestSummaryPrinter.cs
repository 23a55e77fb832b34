using Ci.Cli.Terminal;
using Ci.Core.Client;
using Ci.Core.Protocol;

namespace Ci.Cli.Commands;

/// <summary>
/// The closing lines of <c>submit</c>, <c>wait</c> and <c>rerun</c>, on stderr. A failed job ends failure first: each
/// failed test with the first lines of its message, then the counts, then how to rerun just those tests; a passed
/// job ends on the counts alone.
/// </summary>
internal static class TestSummaryPrinter
{
    /// <summary>Failed tests named at the end of a run; the rest are left to <c>ci tests --failed</c>.</summary>
    private const int MaxFailedNames = 20;

    /// <summary>Lines of each failure's message shown at the end.</summary>
    internal const int MaxMessageLines = 4;

    /// <summary>
    /// Prints the report's summary when the job has one. Best effort: the job's result is already known, so a
    /// server without reports or a failed request prints nothing rather than an error.
    /// </summary>
    public static async Task PrintAsync(CiClient client, string jobId, bool jobFailed, IOStreams streams, CancellationToken cancellationToken)
    {
        TestReport? report;
        try
        {
            report = await client.GetTestReportAsync(jobId, jobKnownToExist: true, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return;
        }
        if (report is null) return;
        await WriteAsync(report, jobId, jobFailed, streams);
    }

    internal static async Task WriteAsync(TestReport report, string jobId, bool jobFailed, IOStreams streams)
    {
        var failed = report.Tests.Where(IsFailure).ToList();
        if (jobFailed) await WriteFailuresAsync(failed, streams);
        if (failed.Count > MaxFailedNames || report.Failed > failed.Count)
            await streams.Err.WriteLineAsync($"... see all with: ci tests {jobId} --failed");
        var color = report.Failed > 0 ? AnsiColor.Red : AnsiColor.Green;
        await streams.Err.WriteLineAsync(streams.ColorErr(report.SummaryLine(), color));
        if (jobFailed && failed.Count > 0) await streams.Err.WriteLineAsync($"Rerun the failed tests with: ci rerun {jobId} --failed");
    }

    private static async Task WriteFailuresAsync(IReadOnlyList<TestCaseResult> failed, IOStreams streams)
    {
        foreach (var test in failed.Take(MaxFailedNames))
        {
            await streams.Err.WriteLineAsync(streams.ColorErr($"{OutcomeLabel(test.Outcome)} {test.Name}", AnsiColor.Red));
            foreach (var line in MessageLines(test.Message)) await streams.Err.WriteLineAsync("    " + line);
        }
    }

    /// <summary>The first non-empty lines of a failure's message.</summary>
    internal static IEnumerable<string> MessageLines(string? message) =>
        (message ?? "").Split('\n').Select(line => line.TrimEnd()).Where(line => line.Length > 0).Take(MaxMessageLines);

    internal static bool IsFailure(TestCaseResult test) => test.Outcome is TestOutcome.Failed or TestOutcome.Error;

    internal static string OutcomeLabel(TestOutcome outcome) => outcome switch
    {
        TestOutcome.Passed => "PASSED",
        TestOutcome.Failed => "FAILED",
        TestOutcome.Error => "ERROR",
        _ => "SKIPPED",
    };
}
