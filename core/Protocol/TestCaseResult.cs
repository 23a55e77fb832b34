using System.Text.Json.Serialization;

namespace Ci.Core.Protocol;

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
