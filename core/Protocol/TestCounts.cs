using System.Text.Json.Serialization;

namespace Ci.Core.Protocol;

/// <summary>The counts of a job's test report, as the job summary carries them.</summary>
public sealed record TestCounts(int Passed, int Failed, int Skipped);
