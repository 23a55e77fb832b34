using Ci.Core.Protocol;

namespace Ci.Server.Runner;

/// <summary>How a job ended, as the store records it. <see cref="Reason"/> is also the job's last log line.</summary>
/// <param name="Report">The test report, when the test command was pytest and its report could be read.</param>
internal sealed record JobOutcome(JobStatus Status, bool Success, string? Reason, TestReport? Report = null)
{
    public static JobOutcome Failed(string reason) => new(JobStatus.Failed, false, reason);
}
