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

/// <summary>The first event of <c>/submit-stream</c>: the id of the job just created.</summary>
/// <param name="JobId">The job's UUID.</param>
public sealed record JobIdEvent(string JobId) : JobEvent;

/// <summary>Raw job output. <paramref name="Data"/> keeps its newlines; print it as is.</summary>
/// <param name="Data">A piece of the job's merged stdout/stderr.</param>
public sealed record LogEvent(string Data) : JobEvent;

/// <summary>The last event of every stream.</summary>
/// <param name="Success">True when the tests ran and passed.</param>
public sealed record CompleteEvent(bool Success) : JobEvent;
