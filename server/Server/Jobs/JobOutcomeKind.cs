namespace Ci.Server.Jobs;

/// <summary>The ways a runner's run of a job ends.</summary>
public enum JobOutcomeKind
{
    /// <summary>The tests ran and passed.</summary>
    Passed,

    /// <summary>The tests ran and failed.</summary>
    TestsFailed,

    /// <summary>The job could not run its tests; the reason says why.</summary>
    Failed,

    /// <summary>The job ran past its time limit and was stopped.</summary>
    TimedOut,

    /// <summary>The runner stopped the job because the server is shutting down (and does not hand jobs back).</summary>
    StoppedAtShutdown,

    /// <summary>The job was cancelled (through the API) while it ran.</summary>
    Cancelled,

    /// <summary>The runner no longer holds the job's lease: someone else owns the job now.</summary>
    LeaseLost,

    /// <summary>The runner is shutting down and gives the job back to the queue.</summary>
    HandedBack,
}
