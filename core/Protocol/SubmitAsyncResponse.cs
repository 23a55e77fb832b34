using System.Text.Json.Serialization;

namespace Ci.Core.Protocol;

/// <summary>The body of <c>POST /submit-async</c>'s answer.</summary>
/// <param name="JobId">The new job's UUID.</param>
public sealed record SubmitAsyncResponse([property: JsonPropertyName("job_id")] string JobId);
