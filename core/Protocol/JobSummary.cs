using System.Text.Json.Serialization;

namespace Ci.Core.Protocol;

/// <summary>
/// One job as <c>GET /jobs</c> and <c>GET /jobs/{id}</c> return it. Property order is the wire order.
/// </summary>
/// <param name="JobId">The job's UUID.</param>
/// <param name="Status">Where the job is in its life cycle.</param>
/// <param name="Success">Whether the tests passed; null until the job ends.</param>
/// <param name="StartTime">When the job started running (UTC), or null.</param>
/// <param name="EndTime">When the job ended (UTC), or null.</param>
public sealed record JobSummary(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("status")] JobStatus Status,
    [property: JsonPropertyName("success")] bool? Success,
    [property: JsonPropertyName("start_time"), JsonConverter(typeof(UtcTimestampConverter))] DateTime? StartTime,
    [property: JsonPropertyName("end_time"), JsonConverter(typeof(UtcTimestampConverter))] DateTime? EndTime);

/// <summary>The body of <c>POST /submit-async</c>'s answer.</summary>
/// <param name="JobId">The new job's UUID.</param>
public sealed record SubmitAsyncResponse([property: JsonPropertyName("job_id")] string JobId);

/// <summary>The body of every 4xx/5xx answer: <c>{"detail": "..."}</c>.</summary>
/// <param name="Detail">A human-readable reason.</param>
public sealed record ErrorResponse([property: JsonPropertyName("detail")] string Detail);

/// <summary>The body of <c>GET /health</c>.</summary>
/// <param name="Status">Always <c>ok</c>.</param>
public sealed record HealthResponse([property: JsonPropertyName("status")] string Status);
