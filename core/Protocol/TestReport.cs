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

    /// <summary>pytest's closing line: <c>12 passed, 1 failed, 2 skipped in 3.4s</c>.</summary>
    public string SummaryLine() =>
        $"{Passed} passed, {Failed} failed, {Skipped} skipped in {DurationSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)}s";
}

/// <summary>One test of a <see cref="TestReport"/>.</summary>
/// <param name="Name">The test's id as pytest shows it (<c>tests/test_x.py::TestY::test_z</c>) when it can be rebuilt, else class and name.</param>
/// <param name="Outcome">How it ended.</param>
/// <param name="TimeSeconds">How long it took, in seconds.</param>
/// <param name="Message">For failures, errors and skips: the first lines of the message; else null.</param>
public sealed record TestCaseResult(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("outcome")] TestOutcome Outcome,
    [property: JsonPropertyName("time")] double TimeSeconds,
    [property: JsonPropertyName("message"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Message = null)
{
    /// <summary>Extension: true when the test failed and then passed on a retry.</summary>
    [JsonPropertyName("flaky"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Flaky { get; init; }

    /// <summary>Extension: how many times the test ran, when it ran more than once (retries); else null.</summary>
    [JsonPropertyName("attempts"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Attempts { get; init; }
}

/// <summary>How one test ended.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TestOutcome>))]
public enum TestOutcome
{
    /// <summary>It passed.</summary>
    [JsonStringEnumMemberName("passed")] Passed,

    /// <summary>An assertion failed.</summary>
    [JsonStringEnumMemberName("failed")] Failed,

    /// <summary>It could not run: an error in set-up, teardown or collection.</summary>
    [JsonStringEnumMemberName("error")] Error,

    /// <summary>It was skipped, or failed as expected (xfail).</summary>
    [JsonStringEnumMemberName("skipped")] Skipped,
}

/// <summary>The counts of a job's test report, as the job summary carries them.</summary>
public sealed record TestCounts(int Passed, int Failed, int Skipped);
