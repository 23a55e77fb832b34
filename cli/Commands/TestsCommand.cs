using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json.Serialization.Metadata;
using System.Text.Json;
using System.Text;
using Ci.Cli.Terminal;
using Ci.CommandLine;
using Ci.Core.Client;
using Ci.Core.Protocol;
using ConsoleAppFramework;

namespace Ci.Cli.Commands;

/// <summary><c>ci tests &lt;job_id&gt; [--failed] [--slowest N] [--json]</c>: a job's test report.</summary>
internal sealed class TestsCommand(CliServices services)
{
    private static readonly JsonTypeInfo<TestReport> IndentedJson = (JsonTypeInfo<TestReport>)new JsonSerializerOptions(CiJsonContext.Default.Options)
    {
        WriteIndented = true,
        IndentSize = 2,
        NewLine = "\n",
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    }.GetTypeInfo(typeof(TestReport));

    /// <summary>Show a job's test report: each test's outcome and time, and the first lines of each failure.</summary>
    /// <param name="jobId">The job's id, as printed by submit or list.</param>
    /// <param name="failed">Only failed tests (and errors).</param>
    /// <param name="json">Print the report as JSON.</param>
    /// <param name="slowest">Only the N slowest tests, slowest first.</param>
    /// <param name="apiKey">API key (default: CI_API_KEY, then the profile's or the top api_key= in ~/.ci/config).</param>
    /// <param name="cancellationToken">Ctrl+C: stop the request.</param>
    [Command("tests")]
    public async Task<int> Tests([Argument] string jobId, bool failed = false, bool json = false, [HideDefaultValue] int? slowest = null,
        [HideDefaultValue] string? apiKey = null, CancellationToken cancellationToken = default)
    {
        if (slowest is < 1) throw new ArgumentParseFailedException("--slowest must be a whole number of at least 1.");
        using var client = services.CreateClient(apiKey);
        var report = await client.GetTestReportAsync(jobId, cancellationToken)
            ?? throw new CiException($"Job {jobId} has no test report (its test command is not pytest, it has not ended, or pytest wrote none).");
        if (failed) report = report with { Tests = [.. report.Tests.Where(TestSummaryPrinter.IsFailure)] };
        if (slowest is { } count)
            report = report with { Tests = [.. report.Tests.OrderByDescending(test => test.TimeSeconds).ThenBy(test => test.Name, StringComparer.Ordinal).Take(count)] };
        await services.Streams.Out.WriteAsync(json ? RenderJson(report) : RenderText(report, services.Streams));
        return ExitCodes.Success;
    }

    internal static string RenderJson(TestReport report) => JsonSerializer.Serialize(report, IndentedJson) + "\n";

    /// <summary>One line per test (outcome, seconds, name), failure messages indented below, the counts last.</summary>
    internal static string RenderText(TestReport report, IOStreams streams)
    {
        var text = new StringBuilder();
        foreach (var test in report.Tests)
        {
            var label = TestSummaryPrinter.OutcomeLabel(test.Outcome).PadRight(7);
            var color = test.Outcome switch
            {
                TestOutcome.Passed => AnsiColor.Green,
                TestOutcome.Skipped => AnsiColor.Yellow,
                _ => AnsiColor.Red,
            };
            var seconds = test.TimeSeconds.ToString("0.000", CultureInfo.InvariantCulture).PadLeft(8);
            text.Append(streams.ColorOut(label, color)).Append(' ').Append(seconds).Append("s  ").Append(test.Name).Append('\n');
            if (test.Message is { } message && test.Outcome != TestOutcome.Passed)
            {
                foreach (var line in message.Split('\n')) text.Append("    ").Append(line).Append('\n');
            }
        }
        if (report.Truncated) text.Append($"(the server kept the first {report.Tests.Count} tests; the counts cover all)\n");
        text.Append(report.SummaryLine()).Append('\n');
        return text.ToString();
    }
}
