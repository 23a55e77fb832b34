using System.Text.Json.Serialization;

namespace Ci.Core.Protocol;

/// <summary>
/// A job's test report as <c>GET /jobs/{id}/tests</c> returns it (an extension of the original protocol): the
/// counts, then every test in the order the test run reported them.
/// </summary>
/// <param name="Passed">Tests that passed.</param>
/// <param name="Failed">Tests that failed or errored (in set-up, teardown or collection).</param>
/// <param name="Skipped">Tests that were skipped (including expected failures).</param>
/// <param name="DurationSeconds">The test run's own time, in seconds.</param>
/// <param name="Truncated">True when the run had more tests than the server keeps: the counts are still whole.</param>
/// <param name="Tests">The tests, each with its outcome.</param>
public sealed record TestReport(
    [property: JsonPropertyName("passed")] int Passed,
    [property: JsonPropertyName("failed")] int Failed,
    [property: JsonPropertyName("skipped")] int Skipped,
    [property: JsonPropertyName("duration")] double DurationSeconds,
    [property: JsonPropertyName("truncated")] bool Truncated,
    [property: JsonPropertyName("tests")] IReadOnlyList<TestCaseResult> Tests)
{
    /// <summary>Extension: tests that failed and then passed on a retry (each also counted as passed); left out when none.</summary>
    [JsonPropertyName("flaky"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int Flaky { get; init; }

    /// <summary>The counts alone.</summary>
    [JsonIgnore]
    public TestCounts Counts => new(Passed, Failed, Skipped);

    /// <summary>pytest's closing line: <c>12 passed, 1 failed, 2 skipped in 3.4s</c>, with <c>, 1 flaky</c> before <c>in</c> when a retry passed.</summary>
    public string SummaryLine() =>
        $"{Passed} passed, {Failed} failed, {Skipped} skipped{(Flaky > 0 ? $", {Flaky} flaky" : "")} in {DurationSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)}s";
}
