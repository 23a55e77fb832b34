using System.Text.Json.Serialization;

namespace Ci.Core.Protocol;

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
