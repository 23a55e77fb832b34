using System.Text.Json.Serialization;

namespace Ci.Core.Protocol;

/// <summary>Extension of <see cref="JobSummary"/>: how far a sharded job's shards are, wherever they run.</summary>
/// <param name="Count">How many shards the job runs.</param>
/// <param name="Ended">How many of them have ended (passed, failed, or lost).</param>
/// <param name="Failed">How many of the ended ones did not pass.</param>
public sealed record ShardProgress(
    [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("ended")] int Ended,
    [property: JsonPropertyName("failed")] int Failed);
