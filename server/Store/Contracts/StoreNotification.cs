using Ci.Core.Protocol;

namespace Ci.Store;

/// <summary>One thing that happened in the store.</summary>
public abstract record StoreNotification
{
    private StoreNotification() { }

    /// <summary>A job was queued (new, or handed back): wake a runner.</summary>
    public sealed record JobQueued(Guid JobId) : StoreNotification;

    /// <summary>A chunk was appended to a job's log; <see cref="Text"/> is null when it was too long to send along.</summary>
    public sealed record LogAppended(Guid JobId, long Sequence, string? Text) : StoreNotification;

    /// <summary>A job ended (completed, failed or cancelled).</summary>
    public sealed record JobEnded(Guid JobId, JobStatus Status) : StoreNotification;

    /// <summary>The connection was lost and restored: notifications may have been missed meanwhile.</summary>
    public sealed record Resync : StoreNotification;
}
