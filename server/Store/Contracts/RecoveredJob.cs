namespace Ci.Store;

/// <summary>A job whose runner stopped renewing its lease: back in the queue, or failed.</summary>
public sealed record RecoveredJob(JobRecord Job, bool Requeued);
