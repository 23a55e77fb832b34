using System.Text.Json.Serialization;

namespace Ci.Core.Protocol;

/// <summary>One test of <c>GET /flaky</c>'s answer (extension): a test of the caller's that was flaky in recent jobs.</summary>
/// <param name="Name">The test's id.</param>
/// <param name="Times">In how many jobs it was flaky: failed then passed on a retry, or failed on a tree it passed on in another job.</param>
/// <param name="LastSeen">When the newest of those jobs was submitted.</param>
/// <param name="LastJobId">The newest of those jobs.</param>
/// <param name="SameTree">True when it was (also) seen to pass and fail on the same tree content in different jobs.</param>
public sealed record FlakyTestEntry(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("times")] int Times,
    [property: JsonPropertyName("last_seen"), JsonConverter(typeof(UtcTimestampConverter))] DateTime? LastSeen,
    [property: JsonPropertyName("last_job_id")] string LastJobId,
    [property: JsonPropertyName("same_tree")] bool SameTree);
