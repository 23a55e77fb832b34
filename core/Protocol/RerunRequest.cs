using System.Text.Json.Serialization;

namespace Ci.Core.Protocol;

/// <summary>The body of <c>POST /jobs/{id}/rerun</c> (extension): run an earlier job's stored tree again.</summary>
/// <param name="OnlyFailed">True: run only the tests that failed or errored in that job; false or absent: every test.</param>
public sealed record RerunRequest([property: JsonPropertyName("only_failed")] bool OnlyFailed = false);
