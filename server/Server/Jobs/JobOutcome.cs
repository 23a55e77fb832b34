using Ci.Core.Protocol;

namespace Ci.Server.Jobs;

/// <summary>How a runner's run of a job ended, as the runner saw it; <see cref="JobLifecycle.EndAsync"/> decides what the job becomes.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Reason">Why a <see cref="JobOutcomeKind.Failed"/> job failed (its last log line).</param>
/// <param name="Report">The test report, when the test command was pytest and its report could be read.</param>
/// <param name="Timeout">The time limit a <see cref="JobOutcomeKind.TimedOut"/> job ran into.</param>
public sealed record JobOutcome(JobOutcomeKind Kind, string? Reason = null, TestReport? Report = null, TimeSpan Timeout = default)
{
    /// <summary>The tests ran: their exit code decides success.</summary>
    public static JobOutcome Tested(bool passed, TestReport? report) => new(passed ? JobOutcomeKind.Passed : JobOutcomeKind.TestsFailed, null, report);

    /// <summary>The job could not run its tests (bad upload, install failed, runner error).</summary>
    public static JobOutcome Failed(string reason) => new(JobOutcomeKind.Failed, reason);

    /// <summary>Whether the job succeeded.</summary>
    public bool Success => Kind == JobOutcomeKind.Passed;
}
