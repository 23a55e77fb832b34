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
/// <param name="TestsPassed">Extension: passed tests of the job's test report; absent (null) when it has none.</param>
/// <param name="TestsFailed">Extension: failed (or errored) tests of the report.</param>
/// <param name="TestsSkipped">Extension: skipped tests of the report.</param>
/// <param name="GitCommit">Extension: the commit (<c>HEAD</c>) of the git work tree the job's folder was in; absent outside git.</param>
/// <param name="GitBranch">Extension: the branch checked out then; absent when detached or outside git.</param>
/// <param name="GitDirty">Extension: whether the uploaded tree differed from <c>HEAD</c> (tracked changes or untracked files); absent outside git.</param>
/// <param name="Shards">Extension, <c>GET /jobs/{id}</c> only: a sharded job's shards, how many have ended and failed; absent for a job that is not sharded.</param>
/// <remarks>The extensions come after the original five keys and are left out when null, so old clients see what they always saw.</remarks>
public sealed record JobSummary(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("status")] JobStatus Status,
    [property: JsonPropertyName("success")] bool? Success,
    [property: JsonPropertyName("start_time"), JsonConverter(typeof(UtcTimestampConverter))] DateTime? StartTime,
    [property: JsonPropertyName("end_time"), JsonConverter(typeof(UtcTimestampConverter))] DateTime? EndTime,
    [property: JsonPropertyName("tests_passed"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? TestsPassed = null,
    [property: JsonPropertyName("tests_failed"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? TestsFailed = null,
    [property: JsonPropertyName("tests_skipped"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? TestsSkipped = null,
    [property: JsonPropertyName("git_commit"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? GitCommit = null,
    [property: JsonPropertyName("git_branch"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? GitBranch = null,
    [property: JsonPropertyName("git_dirty"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? GitDirty = null,
    [property: JsonPropertyName("shards"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ShardProgress? Shards = null)
{
    /// <summary>The test counts, when the job has a report.</summary>
    [JsonIgnore]
    public TestCounts? Tests => TestsPassed is { } passed ? new TestCounts(passed, TestsFailed ?? 0, TestsSkipped ?? 0) : null;

    /// <summary>This summary with the counts of a test report (or without, for null).</summary>
    public JobSummary WithTests(TestCounts? counts) =>
        this with { TestsPassed = counts?.Passed, TestsFailed = counts?.Failed, TestsSkipped = counts?.Skipped };
}
