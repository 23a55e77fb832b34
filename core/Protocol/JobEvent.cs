namespace Ci.Core.Protocol;

/// <summary>
/// One event of a job's stream. <see cref="Sequence"/> is the extension's <c>id:</c>: the event's
/// position within the job (null for <c>job_id</c>, and for every event of a server without the extension).
/// </summary>
public abstract record JobEvent
{
    /// <summary>The event's sequence number within its job, or null when the server sent none.</summary>
    public long? Sequence { get; init; }
}
