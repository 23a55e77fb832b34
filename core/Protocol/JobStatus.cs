using System.Text.Json.Serialization;

namespace Ci.Core.Protocol;

/// <summary>The life-cycle state of a job, as the wire protocol spells it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobStatus>))]
public enum JobStatus
{
    /// <summary>Stored and waiting for a runner.</summary>
    [JsonStringEnumMemberName("queued")] Queued,

    /// <summary>A runner is executing it.</summary>
    [JsonStringEnumMemberName("running")] Running,

    /// <summary>The tests ran; <see cref="JobSummary.Success"/> says whether they passed.</summary>
    [JsonStringEnumMemberName("completed")] Completed,

    /// <summary>The job could not run its tests (bad upload, dependency install, timeout, crash).</summary>
    [JsonStringEnumMemberName("failed")] Failed,

    /// <summary>Stopped on request before it ended.</summary>
    [JsonStringEnumMemberName("cancelled")] Cancelled,
}
