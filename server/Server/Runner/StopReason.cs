namespace Ci.Server.Runner;

/// <summary>Why a job was stopped before its processes ended by themselves.</summary>
internal enum StopReason
{
    None,
    Cancelled,
    TimedOut,
    ShuttingDown,
    /// <summary>The runner lost the job's lease (the job was recovered elsewhere, or the store was unreachable).</summary>
    LeaseLost,
}
