using Ci.Cli.Terminal;
using Ci.Core.Client;
using Ci.Core.Protocol;

namespace Ci.Cli.Commands;

/// <summary>The closing lines of <c>submit</c> and <c>wait</c>: the test counts and the failed tests, on stderr.</summary>
internal static class TestSummaryPrinter
{
    /// <summary>Failed tests named at the end of a run; the rest are left to <c>ci tests --failed</c>.</summary>
    private const int MaxFailedNames = 20;

    /// <summary>
    /// Prints the report's summary when the job has one. Best effort: the job's result is already known, so a
    /// server without reports or a failed request prints nothing rather than an error.
    /// </summary>
    public static async Task PrintAsync(CiClient client, string jobId, IOStreams streams, CancellationToken cancellationToken)
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
        await WriteAsync(report, jobId, streams);
    }

    internal static async Task WriteAsync(TestReport report, string jobId, IOStreams streams)
    {
        var failed = report.Tests.Where(IsFailure).ToList();
        var color = report.Failed > 0 ? AnsiColor.Red : AnsiColor.Green;
        await streams.Err.WriteLineAsync(streams.ColorErr(report.SummaryLine(), color));
        foreach (var test in failed.Take(MaxFailedNames))
        {
            await streams.Err.WriteLineAsync($"{OutcomeLabel(test.Outcome)} {test.Name}");
        }
        if (failed.Count > MaxFailedNames || report.Failed > failed.Count)
        {
            await streams.Err.WriteLineAsync($"... see all with: ci tests {jobId} --failed");
        }
    }

    internal static bool IsFailure(TestCaseResult test) => test.Outcome is TestOutcome.Failed or TestOutcome.Error;

    internal static string OutcomeLabel(TestOutcome outcome) => outcome switch
    {
        TestOutcome.Passed => "PASSED",
        TestOutcome.Failed => "FAILED",
        TestOutcome.Error => "ERROR",
        _ => "SKIPPED",
    };
}
